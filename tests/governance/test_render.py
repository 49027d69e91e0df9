"""Rendering: the --json document, and --explain as `gh api` with --input files."""

from __future__ import annotations

import functools
import json
import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.governance.test_desired import IDS, seed
from tests.governance.test_diff import live_copy
from trainmaster.governance.desired import desired
from trainmaster.governance.diff import plan_repo
from trainmaster.governance.model import Actual, Desired, RepoPlan
from trainmaster.governance.render import explain, plan_json


def empty_plan() -> list[RepoPlan]:
    want = desired(seed(), "acme/api", IDS)
    return [RepoPlan("acme/api", plan_repo(want, Actual("acme/api", {}, {})))]


def test_explain_for_github_com_uses_input_files_and_no_hostname() -> None:
    script = explain(empty_plan(), "https://api.github.com")
    assert "--hostname" not in script
    commands = [line for line in script.splitlines() if line.startswith("gh api")]
    assert len(commands) == 10
    first = shlex.split(commands[0])
    assert first[:4] == ["gh", "api", "--method", "POST"]
    assert "repos/acme/api/rulesets" in first and first[-2:] == ["--input", "acme-api-01.json"]
    # the heredoc holds exactly the action's body
    start = script.index("cat > acme-api-01.json <<'JSON'\n") + len(
        "cat > acme-api-01.json <<'JSON'\n"
    )
    body = json.loads(script[start : script.index("\nJSON\n", start)])
    assert body == empty_plan()[0].actions[0].body


def test_explain_for_enterprise_server_names_the_host() -> None:
    script = explain(empty_plan(), "https://ghe.example.com/api/v3")
    assert "gh api --hostname ghe.example.com --method PUT" in script


def test_plan_json_has_the_documented_shape() -> None:
    doc = plan_json([*empty_plan(), RepoPlan("acme/gone", [], "acme/gone: not found", "external")])
    assert doc["repos"][1] == {"repo": "acme/gone", "actions": [], "error": "acme/gone: not found"}
    action = doc["repos"][0]["actions"][3]
    assert action == {
        "op": "create",
        "resource": "environment:prod",
        "method": "PUT",
        "path": "/repos/acme/api/environments/prod",
        "body": action["body"],
    }


@functools.cache
def seed_desired() -> Desired:
    return desired(seed(), "acme/api", IDS)


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False))
def test_no_diff_whatever_order_github_returns_lists_in(rng) -> None:  # type: ignore[no-untyped-def]
    want = seed_desired()
    live = live_copy(want)
    for ruleset in live.rulesets.values():
        rng.shuffle(ruleset.body["bypass_actors"])
        rng.shuffle(ruleset.body["rules"])
        for rule in ruleset.body["rules"]:
            if rule["type"] == "required_status_checks":
                rng.shuffle(rule["parameters"]["required_status_checks"])
        rng.shuffle(ruleset.body["conditions"]["ref_name"]["include"])
    for env in live.environments.values():
        for rule in env.body["protection_rules"]:
            if rule["type"] == "required_reviewers":
                rng.shuffle(rule["reviewers"])
    assert plan_repo(want, live) == []
