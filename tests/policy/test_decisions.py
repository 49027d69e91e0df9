"""Decisions of the built-in bundle for the seed roles, roles with members, attributes and
the policy's own Rego modules (real regopy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy.conftest import policy_of
from trainmaster.errors import PolicyError
from trainmaster.policy.model import AccessRequest, Decision
from trainmaster.policy.wiring import authorizer_for

REASON = "p95 regression after the deploy"


def decide(
    action: str,
    actor: str = "zoe",
    reason: str = "",
    stage: str | None = None,
    captains: list[str] | None = None,
    authorization: str = "",
    base: Path = Path("."),
    **attributes: str,
) -> Decision:
    authorizer = authorizer_for(policy_of(captains, authorization), base)
    return authorizer.decide(
        AccessRequest(actor, action, "train/v1.1.0", reason, stage, attributes)
    )


def test_seed_roles_without_members_let_anyone_act() -> None:
    for action in ("train.cut", "train.hotfix", "preview.up", "evidence.build", "dr.drill"):
        assert decide(action).allowed, action


def test_risky_actions_need_a_reason_even_when_anyone_may_act() -> None:
    for action in ("rollback", "rollout.pin", "rollout.undo", "governance.apply", "promote"):
        refused = decide(action, reason=" ok ")
        assert refused.reasons == (
            f"{action} is a risky action: say why with --reason (at least 4 characters)",
        )
        assert decide(action, reason=REASON).allowed


def test_deploying_to_a_production_stage_is_risky_and_to_stage_is_not() -> None:
    assert not decide("rollout.deploy", stage="prod").allowed
    assert decide("rollout.deploy", stage="stage").allowed
    assert decide("rollout.promote", stage="prod", reason=REASON).allowed


def test_the_reason_length_is_configurable() -> None:
    longer = "\nauthorization:\n  reason_min_length: 20\n"
    assert not decide("rollback", reason="p95 regression", authorization=longer).allowed
    assert decide("rollback", reason="p95 regression since 18:05", authorization=longer).allowed


def test_once_a_role_lists_members_only_they_may_take_its_actions() -> None:
    captains = ["ana", "Ben@Example.com"]
    outsider = decide("promote", "eve", REASON, "prod", captains)
    assert outsider.reasons == ("not a member of a role that may promote (Release Captain)",)
    assert decide("promote", "ana", REASON, "prod", captains).allowed
    assert decide("promote", "ben@example.COM", REASON, "prod", captains).allowed
    # rollback is granted to three roles; only the captain lists members, so only captains
    assert not decide("rollback", "eve", REASON, "prod", captains).allowed
    # other roles' actions stay open while those roles list nobody (the seed's promise)
    assert decide("rollout.deploy", "eve", "", "stage", captains).allowed


def test_an_action_no_role_lists_is_refused_once_roles_are_in_force() -> None:
    text = "\nauthorization:\n  reason_min_length: 4\n"
    policy = policy_of(["ana"], text)
    unlisted = policy.model_copy(
        update={"roles": {k: r for k, r in policy.roles.items() if k != "platform"}}
    )
    authorizer = authorizer_for(unlisted, Path("."))
    refused = authorizer.decide(AccessRequest("ana", "dr.drill", "stage/stage"))
    assert refused.reasons == ("no role may dr.drill (add it to a role's `may`)",)


def test_the_author_may_not_approve_their_own_train_on_a_stage_that_excludes_them() -> None:
    own = decide("approve", "Carl", REASON, "prod", author="carl", train="v1.1.0")
    assert not own.allowed
    assert "may not approve" in own.summary()
    assert decide("approve", "dana", REASON, "prod", author="carl", train="v1.1.0").allowed


def test_a_policy_module_adds_its_own_rules(tmp_path: Path) -> None:
    (tmp_path / "authz").mkdir()
    (tmp_path / "authz" / "no_self_promotion.rego").write_text(
        "package trainmaster.authz\n\nimport rego.v1\n\n"
        'deny contains "the train\'s author may not promote it to prod" if {\n'
        '\tinput.action == "promote"\n\tinput.stage == "prod"\n'
        "\tlower(input.actor) == lower(input.attributes.author)\n}\n"
    )
    (tmp_path / "authz" / "no_self_promotion_test.rego").write_text(
        "package trainmaster.authz_test\nimport rego.v1\ntest_crash if { input.x == 1 }\n"
    )
    extra = "\nauthorization:\n  modules: [authz]\n"
    own = decide("promote", "carl", REASON, "prod", authorization=extra, base=tmp_path,
                 author="carl", train="v1.1.0")  # fmt: skip
    assert own.reasons == ("the train's author may not promote it to prod",)
    other = decide("promote", "dana", REASON, "prod", authorization=extra, base=tmp_path,
                   author="carl", train="v1.1.0")  # fmt: skip
    assert other.allowed


def test_bad_rego_names_the_file_line_and_error(tmp_path: Path) -> None:
    (tmp_path / "broken.rego").write_text("package trainmaster.authz\n\nallow if {{\n")
    with pytest.raises(PolicyError) as caught:
        decide("train.cut", authorization="\nauthorization:\n  modules: [broken.rego]\n",
               base=tmp_path)  # fmt: skip
    message = caught.value.message
    assert message.startswith(f"{tmp_path / 'broken.rego'}:3:")
    assert "Rego parse error" in message and "\n" not in message


def test_a_missing_module_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="unreadable"):
        decide("train.cut", authorization="\nauthorization:\n  modules: [nope.rego]\n",
               base=tmp_path)  # fmt: skip


def test_production_stages_must_name_stages() -> None:
    with pytest.raises(PolicyError, match=r"production_stages.0: unknown 'prd'; did you mean"):
        policy_of(authorization="\nauthorization:\n  production_stages: [prd]\n")


def test_a_message_quoting_input_is_an_error_not_a_decision(tmp_path: Path) -> None:
    (tmp_path / "echo.rego").write_text(
        "package trainmaster.authz\n\nimport rego.v1\n\n"
        'deny contains msg if {\n\tinput.action == "train.cut"\n'
        '\tmsg := sprintf("%s may not", [input.actor])\n}\n'
    )
    extra = "\nauthorization:\n  modules: [echo.rego]\n"
    assert decide("train.cut", "eve", authorization=extra, base=tmp_path).reasons == (
        "eve may not",
    )
    with pytest.raises(PolicyError, match="keep input strings out of deny messages"):
        decide("train.cut", 'e"ve', authorization=extra, base=tmp_path)
