"""The diff: per field, stable under reordering and server-side defaults, complete on change."""

from __future__ import annotations

import copy
import dataclasses

from tests.governance.test_desired import IDS, seed
from trainmaster.governance.desired import desired
from trainmaster.governance.diff import plan_repo, ruleset_changes
from trainmaster.governance.model import Action, Actual, ActualEnvironment, ActualRuleset, Desired


def live_copy(want: Desired) -> Actual:
    """What GitHub returns after applying `want`: lists reversed, defaults added, extra keys."""
    rulesets = {}
    for i, spec in enumerate(want.rulesets):
        body = copy.deepcopy(spec.body)
        body["bypass_actors"].reverse()
        body.update(id=i + 1, source_type="Repository", current_user_can_bypass="never")
        for rule in body["rules"]:
            params = rule.get("parameters", {})
            if rule["type"] == "pull_request":
                params["allowed_merge_methods"] = ["merge", "squash", "rebase"]
            if rule["type"] == "required_status_checks":
                params["required_status_checks"].reverse()
                params["do_not_enforce_on_create"] = False
        rulesets[spec.name] = ActualRuleset(i + 1, body)
    envs = {}
    for spec in want.environments:
        reviewers = [
            {"type": r["type"], "reviewer": {"id": r["id"], "slug": "x"}}
            for r in reversed(spec.body["reviewers"])
        ]
        rules = [
            {
                "id": 1,
                "node_id": "n",
                "type": "required_reviewers",
                "prevent_self_review": True,
                "reviewers": reviewers,
            }
        ]
        if spec.body["wait_timer"]:
            rules.append(
                {
                    "id": 2,
                    "node_id": "m",
                    "type": "wait_timer",
                    "wait_timer": spec.body["wait_timer"],
                }
            )
        body = {
            "name": spec.name,
            "protection_rules": rules,
            "deployment_branch_policy": spec.body["deployment_branch_policy"],
            "can_admins_bypass": True,
        }
        policies = {p: n for n, p in enumerate(sorted(spec.branch_policies, reverse=True))}
        envs[spec.name] = ActualEnvironment(body, policies)
    return Actual(want.repo, rulesets, envs)


def test_no_perpetual_diff_from_ordering_or_server_defaults() -> None:
    want = desired(seed(), "acme/api", IDS)
    assert plan_repo(want, live_copy(want)) == []


def test_empty_repo_gets_creates_in_a_writable_order() -> None:
    want = desired(seed(), "acme/api", IDS)
    actions = plan_repo(want, Actual("acme/api", {}, {}))
    ops = [(a.method, a.path) for a in actions]
    assert ops[:3] == [("POST", "/repos/acme/api/rulesets")] * 3
    # the environment exists (PUT) before its custom branch policies are added (POST)
    prod_put = ops.index(("PUT", "/repos/acme/api/environments/prod"))
    prod_posts = [
        i
        for i, o in enumerate(ops)
        if o == ("POST", "/repos/acme/api/environments/prod/deployment-branch-policies")
    ]
    assert len(prod_posts) == 2 and min(prod_posts) > prod_put
    assert len(actions) == 10


def test_a_changed_field_is_named_and_the_whole_ruleset_put_back() -> None:
    want = desired(seed(), "acme/api", IDS)
    live = live_copy(want)
    body = live.rulesets["trainmaster: default branch"].body
    next(r for r in body["rules"] if r["type"] == "pull_request")["parameters"][
        "required_approving_review_count"
    ] = 1
    body["rules"].append({"type": "creation"})
    (action,) = plan_repo(want, live)
    assert action.method == "PUT" and action.path == "/repos/acme/api/rulesets/1"
    assert "rules.pull_request.required_approving_review_count: → 2" in action.changes
    assert "rules.creation: not in policy" in action.changes
    assert action.body == want.rulesets[0].body


def test_bypass_actor_removed_by_hand_is_drift() -> None:
    want = desired(seed(), "acme/api", IDS)
    live = live_copy(want)
    live.rulesets["trainmaster: release tags"].body["bypass_actors"] = []
    (action,) = plan_repo(want, live)
    assert action.changes == ("bypass_actors",)


def test_environment_reviewer_and_timer_changes_keep_unmanaged_settings() -> None:
    want = desired(seed(), "acme/api", IDS)
    live = live_copy(want)
    prod = live.environments["prod"].body
    prod["protection_rules"] = [r for r in prod["protection_rules"] if r["type"] != "wait_timer"]
    prod["protection_rules"][0]["reviewers"].pop()
    (action,) = plan_repo(want, live)
    assert action.method == "PUT" and action.path.endswith("/environments/prod")
    assert any(c.startswith("wait_timer: 0 → 10") for c in action.changes)
    assert any(c.startswith("reviewers:") for c in action.changes)


def test_extra_branch_policy_is_deleted_and_missing_one_created() -> None:
    want = desired(seed(), "acme/api", IDS)
    live = live_copy(want)
    stage = live.environments["stage"]
    stage.branch_policies.pop(("main", "branch"))
    stage.branch_policies[("feature/*", "branch")] = 77
    actions = plan_repo(want, live)
    assert [(a.op, a.method, a.path) for a in actions] == [
        ("create", "POST", "/repos/acme/api/environments/stage/deployment-branch-policies"),
        ("delete", "DELETE", "/repos/acme/api/environments/stage/deployment-branch-policies/77"),
    ]
    assert actions[0].body == {"name": "main", "type": "branch"}


def classic_live(want: Desired, app_id: int | None = 15368, signed: bool = True) -> dict:  # type: ignore[type-arg]
    assert want.protection is not None
    body = want.protection.body
    checks = body["required_status_checks"]
    return {
        "url": "u",
        "required_status_checks": {
            "strict": checks["strict"],
            "contexts": list(reversed(checks["contexts"])),
            "checks": [{"context": c, "app_id": app_id} for c in checks["contexts"]],
        },
        "enforce_admins": {"url": "u", "enabled": True},
        "required_pull_request_reviews": {"url": "u", **body["required_pull_request_reviews"]},
        "required_signatures": {"url": "u", "enabled": signed},
        "required_linear_history": {"enabled": True},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
        "required_conversation_resolution": {"enabled": True},
        "lock_branch": {"enabled": False},
    }


def test_classic_protection_from_scratch_is_put_then_pin_then_signatures() -> None:
    want = desired(seed(("mode: rulesets", "mode: branch-protection")), "acme/api", IDS)
    actions = [a for a in plan_repo(want, live_copy(want)) if a.resource.startswith("branch")]
    # live_copy has no protection: all three calls
    assert [(a.method, a.path) for a in actions] == [
        ("PUT", "/repos/acme/api/branches/main/protection"),
        ("PATCH", "/repos/acme/api/branches/main/protection/required_status_checks"),
        ("POST", "/repos/acme/api/branches/main/protection/required_signatures"),
    ]


def test_classic_protection_in_place_is_no_op_and_app_pin_alone_is_a_patch() -> None:
    want = desired(seed(("mode: rulesets", "mode: branch-protection")), "acme/api", IDS)
    live = live_copy(want)
    matching = Actual(live.repo, live.rulesets, live.environments, classic_live(want))
    assert plan_repo(want, matching) == []
    unpinned = Actual(live.repo, live.rulesets, live.environments, classic_live(want, app_id=None))
    (action,) = plan_repo(want, unpinned)
    assert action.method == "PATCH" and action.body == {"checks": want.protection.checks}  # type: ignore[union-attr]


# --- every ruleset field is compared (pinned by `make mutate MODULE=diff`) ---


def ruleset_body(**changes: object) -> dict:  # type: ignore[type-arg]
    body = {
        "target": "branch",
        "enforcement": "active",
        "conditions": {
            "ref_name": {"include": ["~DEFAULT_BRANCH", "refs/heads/rel"], "exclude": []}
        },
        "bypass_actors": [
            {"actor_type": "OrganizationAdmin", "actor_id": None, "bypass_mode": "always"},
            {"actor_type": "Team", "actor_id": 7, "bypass_mode": "pull_request"},
            {"actor_type": "Integration", "actor_id": 9},
        ],
        "rules": [
            {
                "type": "required_status_checks",
                "parameters": {
                    "required_status_checks": [
                        {"context": "ci / test", "integration_id": 15368},
                        {"context": "lint"},
                    ]
                },
            }
        ],
    }
    body.update(changes)
    return body


def test_a_live_ruleset_in_another_order_with_echoed_defaults_has_no_changes() -> None:
    live = copy.deepcopy(ruleset_body())
    live["conditions"]["ref_name"]["include"].reverse()
    live["bypass_actors"] = [
        {"actor_type": "Integration", "actor_id": 9, "bypass_mode": "always"},
        {"actor_type": "Team", "actor_id": 7, "bypass_mode": "pull_request"},
        {"actor_type": "OrganizationAdmin", "actor_id": 1, "bypass_mode": "always"},
    ]
    live["rules"][0]["parameters"]["required_status_checks"].reverse()
    assert ruleset_changes(ruleset_body(), live) == []


def test_each_ruleset_field_that_drifted_is_named() -> None:
    want = ruleset_body()
    assert ruleset_changes(want, ruleset_body(target="tag", enforcement="evaluate")) == [
        "target: 'tag' → 'branch'",
        "enforcement: 'evaluate' → 'active'",
    ]
    narrowed = ruleset_body(conditions={"ref_name": {"include": ["~DEFAULT_BRANCH"]}})
    assert ruleset_changes(want, narrowed) == [
        "conditions.ref_name.include: ['~DEFAULT_BRANCH'] → ['~DEFAULT_BRANCH', 'refs/heads/rel']"
    ]
    widened = ruleset_body(
        conditions={
            "ref_name": {"include": ["~DEFAULT_BRANCH", "refs/heads/rel"], "exclude": ["x"]}
        }
    )
    assert ruleset_changes(want, widened) == ["conditions.ref_name.exclude: ['x'] → []"]
    for index, key, value in ((1, "actor_id", 8), (1, "bypass_mode", "always"), (2, "actor_id", 1)):
        moved = copy.deepcopy(want)
        moved["bypass_actors"][index][key] = value
        assert ruleset_changes(want, moved) == ["bypass_actors"], (index, key)
    other_app = copy.deepcopy(want)
    other_app["rules"][0]["parameters"]["required_status_checks"][0]["integration_id"] = 1
    assert ruleset_changes(want, other_app) == [
        "rules.required_status_checks.required_status_checks: → 2 items"
    ]
    assert ruleset_changes(want, ruleset_body(rules=[])) == [
        "rules.required_status_checks: missing"
    ]


def test_a_retired_ruleset_is_deleted_after_the_others_are_in_place() -> None:
    want = desired(seed(), "acme/api", IDS)
    live = live_copy(want)
    live.rulesets["trainmaster: old"] = ActualRuleset(41, ruleset_body())
    live.rulesets["someone else's"] = ActualRuleset(42, ruleset_body())
    retiring = dataclasses.replace(want, retired_rulesets=frozenset({"trainmaster: old", "gone"}))
    assert plan_repo(retiring, live) == [
        Action(
            "delete",
            "ruleset:trainmaster: old",
            "DELETE",
            "/repos/acme/api/rulesets/41",
            None,
            ("not in policy",),
        )
    ]
