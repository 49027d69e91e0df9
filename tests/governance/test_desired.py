"""The desired state the seed policy means, and the policy mistakes refused before any I/O."""

from __future__ import annotations

import pytest

from trainmaster.config import parse_policy
from trainmaster.config.model import Policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError
from trainmaster.governance.desired import desired, lookups, missing
from trainmaster.governance.model import Resolved

IDS = Resolved(teams={"release-captains": 11, "sre": 12}, apps={"trainmaster-release-bot": 99})


def seed(replace: tuple[str, str] | None = None) -> Policy:
    text = seed_policy_text()
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    return parse_policy(text)


def rules_by_type(body: dict) -> dict:  # type: ignore[type-arg]
    return {r["type"]: r.get("parameters") for r in body["rules"]}


def test_seed_lookups_are_the_teams_and_the_bot() -> None:
    need = lookups(seed())
    assert need.teams == {"release-captains", "sre"}
    assert need.apps == {"trainmaster-release-bot"}
    assert need.users == set()


def test_default_branch_ruleset_carries_every_protection_of_the_seed() -> None:
    want = desired(seed(), "acme/api", IDS)
    default = want.rulesets[0].body
    assert default["conditions"]["ref_name"]["include"] == ["~DEFAULT_BRANCH"]
    assert default["bypass_actors"] == []  # admins included: nobody bypasses
    rules = rules_by_type(default)
    assert set(rules) == {
        "deletion",
        "non_fast_forward",
        "required_linear_history",
        "required_signatures",
        "pull_request",
        "required_status_checks",
    }
    assert rules["pull_request"] == {
        "required_approving_review_count": 2,
        "dismiss_stale_reviews_on_push": True,
        "require_code_owner_review": True,
        "require_last_push_approval": True,
        "required_review_thread_resolution": True,
    }
    checks = rules["required_status_checks"]
    assert checks["strict_required_status_checks_policy"] is True
    assert len(checks["required_status_checks"]) == 17
    assert {c["integration_id"] for c in checks["required_status_checks"]} == {15368}
    assert {"context": "k6-slo (staging)", "integration_id": 15368} in checks[
        "required_status_checks"
    ]
    assert want.protection is None


def test_release_branches_and_tags_use_rulesets_with_the_bot_as_bypass() -> None:
    want = desired(seed(), "acme/api", IDS)
    branches, tags = want.rulesets[1].body, want.rulesets[2].body
    assert branches["target"] == "branch" and tags["target"] == "tag"
    assert branches["conditions"]["ref_name"]["include"] == ["refs/heads/release/*"]
    assert tags["conditions"]["ref_name"]["include"] == ["refs/tags/v*"]
    bot = {"actor_id": 99, "actor_type": "Integration", "bypass_mode": "always"}
    assert branches["bypass_actors"] == [bot] and tags["bypass_actors"] == [bot]
    assert rules_by_type(tags)["update"] == {"update_allows_fetch_and_merge": False}
    assert "required_linear_history" not in rules_by_type(tags)
    assert rules_by_type(branches)["pull_request"]["required_review_thread_resolution"] is True


def test_environments_resolve_reviewers_to_ids_and_minutes() -> None:
    envs = {e.name: e for e in desired(seed(), "acme/api", IDS).environments}
    prod = envs["prod"]
    assert prod.body == {
        "wait_timer": 10,
        "prevent_self_review": True,
        "reviewers": [{"type": "Team", "id": 11}, {"type": "Team", "id": 12}],
        "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
    }
    assert prod.branch_policies == {("release/*", "branch"), ("hotfix/*", "branch")}
    assert ("main", "branch") in envs["stage"].branch_policies


def test_checks_accept_any_app_when_the_policy_says_null() -> None:
    policy = seed(("app_id: 15368", "app_id: null"))
    checks = rules_by_type(desired(policy, "a/b", IDS).rulesets[0].body)["required_status_checks"]
    assert checks["required_status_checks"][0] == {"context": "build"}


def test_admins_bypass_when_not_enforced() -> None:
    policy = seed(("enforce_admins: true", "enforce_admins: false"))
    actors = desired(policy, "a/b", IDS).rulesets[0].body["bypass_actors"]
    assert actors == [{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}]


def test_classic_mode_protects_the_default_branch_and_pins_checks_separately() -> None:
    policy = seed(("mode: rulesets", "mode: branch-protection"))
    want = desired(policy, "a/b", IDS)
    assert [r.name for r in want.rulesets] == [
        "trainmaster: release branches",
        "trainmaster: release tags",
    ]
    assert want.protection is not None
    body = want.protection.body
    assert body["restrictions"] is None and body["enforce_admins"] is True
    assert body["required_status_checks"]["strict"] is True
    assert "checks" not in body["required_status_checks"]
    assert want.protection.checks and want.protection.checks[0] == {
        "context": "build",
        "app_id": 15368,
    }
    assert want.protection.signatures is True


def test_classic_mode_refuses_a_wildcard_and_says_why() -> None:
    policy = seed(("mode: rulesets", "mode: branch-protection"))
    policy = policy.model_copy(
        update={"train": policy.train.model_copy(update={"default_branch": "release/*"})}
    )
    with pytest.raises(PolicyError, match="does not expand wildcards"):
        desired(policy, "a/b", IDS)


def test_pull_request_bypass_on_tags_is_refused() -> None:
    policy = seed(
        ("applies_to: [release_branches, tags]", "applies_to: [tags]\n      mode: pull_request")
    )
    with pytest.raises(PolicyError, match=r"bypass_actors\.0\.mode"):
        desired(policy, "a/b", IDS)


def test_unknown_names_are_reported_with_their_fields() -> None:
    problems = missing(seed(), Resolved(teams={"release-captains": 1}, apps={}))
    assert "governance.environments.prod.reviewers.1.team: unknown team 'sre'" in problems
    assert "governance.bypass_actors.0.name: unknown app 'trainmaster-release-bot'" in problems
