"""Every promotion rule on the pure machine; each test fails if its rule is removed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.train.fakes import DIGEST_A, DIGEST_B, DIGEST_C
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import ConflictError, Refused, UsageError
from trainmaster.train.approvals import (
    approval_refusal,
    counted_approvals,
    freeze_blocker,
    gates_blocker,
    promotion_blockers,
    promotion_refusals,
    quorum_blocker,
)
from trainmaster.train.machine import next_state
from trainmaster.train.model import (
    ApprovalRecord,
    Approve,
    ClusterAction,
    Deploy,
    EffectsDone,
    Promote,
    RevokeApprovals,
    Rollback,
    StageRules,
    StageStatus,
    StageView,
    TrainState,
    TrainStatus,
    Verified,
)
from trainmaster.train.rules import stage_rules

T0 = datetime(2026, 11, 5, 18, 0, tzinfo=UTC)
PROD_GATES = ("p95-latency", "burn-rate", "error-rate", "saturation", "migrations")


def policy(extra: str = ""):  # type: ignore[no-untyped-def]
    return parse_policy(seed_policy_text("acme", "maestro") + extra)


def awaiting_prod(**train: object) -> TrainState:
    """A train promoted on stage, verified on prod at T0, no approvals yet."""
    rules = stage_rules(policy(), "scheduled")
    stage = StageView("stage", StageStatus.PROMOTED, 1, DIGEST_A, T0, promoted_by="bob")
    prod = StageView(
        "prod",
        StageStatus.AWAITING_APPROVAL,
        1,
        DIGEST_A,
        gates_passed_at=T0,
        gate_verdicts=tuple((g, "pass") for g in PROD_GATES),
    )
    base = TrainState(
        "v1.1.0",
        "scheduled",
        "1.1.0",
        "captain",
        TrainStatus.OPEN,
        DIGEST_A,
        3,
        rules,
        (stage, prod),
    )
    return replace(base, **train)  # type: ignore[arg-type]


def approve(
    state: TrainState, who: str, reason: str = "looks good", at: datetime = T0
) -> TrainState:
    return next_state(state, Approve("prod", who, reason, at)).state


def promote(state: TrainState, who: str = "bob", minutes: int = 10, **kw: object):  # type: ignore[no-untyped-def]
    return next_state(state, Promote("prod", who, "ship it", T0 + timedelta(minutes=minutes), **kw))  # type: ignore[arg-type]


def approved(state: TrainState, *who: str) -> TrainState:
    for person in who:
        state = approve(state, person)
    return state


def test_quorum_two_distinct_people() -> None:
    one = approved(awaiting_prod(), "alice")
    with pytest.raises(Refused, match="1 of 2 distinct approvals"):
        promote(one)
    done = promote(approved(awaiting_prod(), "alice", "carol"))
    assert done.state.stage("prod").status is StageStatus.PROMOTING
    assert done.actions == (ClusterAction("promote", "prod", expect=DIGEST_A),)


def test_the_same_person_twice_counts_once() -> None:
    twice = approved(awaiting_prod(), "alice", "alice", "ALICE")
    assert len(twice.stage("prod").approvals) == 1
    with pytest.raises(Refused, match="1 of 2"):
        promote(twice)


def test_the_author_may_not_approve() -> None:
    with pytest.raises(Refused, match=r"captain cut train v1\.1\.0 and may not approve"):
        approve(awaiting_prod(), "captain")
    # and an author's approval that somehow exists is not counted
    sneaked = ApprovalRecord("Captain", "mine", DIGEST_A, T0)
    state = approved(awaiting_prod(), "alice")
    state = replace(
        state,
        stages=(
            state.stages[0],
            replace(state.stages[1], approvals=(*state.stages[1].approvals, sneaked)),
        ),
    )
    with pytest.raises(Refused, match="1 of 2"):
        promote(state)


def test_the_promoter_is_not_an_approver() -> None:
    state = approved(awaiting_prod(), "alice", "carol")
    with pytest.raises(Refused, match="1 of 2"):
        promote(state, who="carol")


def test_each_approval_needs_a_reason() -> None:
    with pytest.raises(Refused, match="needs a reason"):
        approve(awaiting_prod(), "alice", reason="  ")


def test_an_approval_for_another_digest_does_not_count() -> None:
    state = approved(awaiting_prod(), "alice", "carol")
    rebuilt = replace(
        state,
        digest=DIGEST_B,
        stages=(
            replace(state.stages[0], digest=DIGEST_B),
            replace(state.stages[1], digest=DIGEST_B),
        ),
    )
    with pytest.raises(Refused, match=r"0 of 2 distinct approvals .*2 for another digest"):
        promote(rebuilt)


def test_a_failed_verification_revokes_earlier_approvals() -> None:
    state = approved(awaiting_prod(), "alice", "carol")
    failed = next_state(
        state,
        Verified("prod", DIGEST_A, "fail", T0 + timedelta(minutes=5), (("error-rate", "fail"),)),
    )
    assert (
        RevokeApprovals("prod", f"verification failed at {(T0 + timedelta(minutes=5)).isoformat()}")
        in failed.actions
    )
    revoked = failed.state.stage("prod").approvals
    assert [a.approver for a in revoked] == ["alice", "carol"]
    assert all(a.revoked for a in revoked)
    passed = next_state(
        failed.state,
        Verified("prod", DIGEST_A, "pass", T0 + timedelta(minutes=6), (("error-rate", "pass"),)),
    )
    with pytest.raises(Refused, match=r"0 of 2 .*2 revoked"):
        promote(passed.state, minutes=30)


def test_the_wait_timer_counts_from_the_passed_verification() -> None:
    state = approved(awaiting_prod(), "alice", "carol")
    with pytest.raises(Refused, match="wait timer: 1m00s left"):
        promote(state, minutes=9)
    assert promote(state, minutes=10).state.stage("prod").status is StageStatus.PROMOTING


def test_a_freeze_blocks_promotion_unless_overridden() -> None:
    state = approved(awaiting_prod(frozen="year-end: Year-end change freeze"), "alice", "carol")
    with pytest.raises(Refused, match="freeze window in force: year-end"):
        promote(state)
    done = promote(state, override_freeze="sev1 fix, VP approved")
    assert done.details["freeze_override"] == "sev1 fix, VP approved"


def test_required_gates_must_pass_for_this_digest() -> None:
    state = approved(awaiting_prod(), "alice", "carol")
    prod = state.stage("prod")
    missing = replace(
        prod, gate_verdicts=tuple((g, "pass") for g in PROD_GATES if g != "saturation")
    )
    with pytest.raises(Refused, match="saturation=not run"):
        promote(replace(state, stages=(state.stages[0], missing)))


def test_inconclusive_never_promotes() -> None:
    state = approved(awaiting_prod(), "alice", "carol")
    unsure = next_state(
        state, Verified("prod", DIGEST_A, "inconclusive", T0, (("burn-rate", "inconclusive"),))
    )
    assert unsure.state.stage("prod").status is StageStatus.VERIFYING
    with pytest.raises(Refused, match="has not passed verification"):
        promote(unsure.state, minutes=60)


def test_gate_order_stage_before_prod() -> None:
    state = awaiting_prod()
    not_yet = replace(
        state,
        stages=(replace(state.stages[0], status=StageStatus.AWAITING_APPROVAL), state.stages[1]),
    )
    with pytest.raises(Refused, match="stage must be promoted with this digest before prod"):
        promote(approved(not_yet, "alice", "carol"))
    with pytest.raises(Refused, match="stage must be promoted"):
        next_state(not_yet, Deploy("prod", "bob", T0))


def test_roles_limit_who_approves_and_promotes() -> None:
    roles = policy().roles
    members = {"release-captain": ["alice", "bob"]}
    strict = policy().model_copy(
        update={
            "roles": {
                name: role.model_copy(update={"members": members.get(name, [])})
                for name, role in roles.items()
            }
        }
    )
    rules = stage_rules(strict, "scheduled")
    state = replace(awaiting_prod(), rules=rules)
    with pytest.raises(Refused, match="carol is not in a role that may approve"):
        approve(state, "carol")
    state = approve(state, "alice")
    with pytest.raises(Refused, match="dave is not in a role that may promote"):
        promote(state, who="dave")


def test_promote_twice_is_a_conflict_and_busy_stages_refuse() -> None:
    state = approved(awaiting_prod(), "alice", "carol")
    promoting = promote(state).state
    with pytest.raises(ConflictError, match="promoting"):
        promote(promoting)
    done = next_state(promoting, EffectsDone("prod", T0)).state
    assert done.status is TrainStatus.RELEASED
    with pytest.raises(ConflictError, match="already promoted by bob"):
        promote(done)


def test_rollback_pins_the_decided_digest_whatever_the_train_state() -> None:
    """The machine pins what known_good.decide chose: never "the previous revision" (undo),
    and an aborted or rolled-back train can still record the rollback of its release."""
    state = awaiting_prod()
    state = replace(
        state,
        stages=(
            state.stages[0],
            replace(state.stages[1], status=StageStatus.PROMOTED, previous_digest=DIGEST_B),
        ),
    )
    with pytest.raises(Refused, match="needs a reason"):
        next_state(state, Rollback("prod", "dave", "", T0, DIGEST_B))
    with pytest.raises(UsageError, match="no known-good digest"):
        next_state(state, Rollback("prod", "dave", "p95", T0))
    back = next_state(state, Rollback("prod", "dave", "p95", T0, DIGEST_B, replaced="x", why="y"))
    assert back.actions[-1] == ClusterAction("pin", "prod", image=DIGEST_B, expect=DIGEST_B)
    assert back.details == {"to": DIGEST_B, "train": state.id, "from": "x", "known_good": "y"}
    for stage_status in (StageStatus.ROLLED_BACK, StageStatus.ABORTED, StageStatus.FAILED):
        other = replace(
            state, stages=(state.stages[0], replace(state.stages[1], status=stage_status))
        )
        assert next_state(other, Rollback("prod", "d", "r", T0, DIGEST_B)).audit == "rollback"
    aborted = replace(state, status=TrainStatus.ABORTED)
    rolling = next_state(aborted, Rollback("prod", "d", "r", T0, DIGEST_B)).state
    done = next_state(rolling, EffectsDone("prod", T0)).state
    assert (done.stage("prod").status, done.status) == (
        StageStatus.ROLLED_BACK,
        TrainStatus.ABORTED,
    )
    with pytest.raises(UsageError, match="is aborted"):
        next_state(aborted, Approve("prod", "alice", "fine", T0))
    pending = replace(
        state, stages=(state.stages[0], replace(state.stages[1], status=StageStatus.PENDING))
    )
    with pytest.raises(UsageError, match="never deployed"):
        next_state(pending, Rollback("prod", "d", "r", T0, DIGEST_B))


def test_a_failed_watch_after_promotion_rolls_back() -> None:
    state = awaiting_prod()
    live = replace(
        state,
        stages=(
            state.stages[0],
            replace(state.stages[1], status=StageStatus.PROMOTED, previous_digest=DIGEST_B),
        ),
    )
    failed = Verified("prod", DIGEST_A, "fail", T0, (("burn-rate", "fail"),), rollback_to=DIGEST_C)
    moved = next_state(live, failed)
    assert moved.audit == "train.auto_rollback"
    # the known good the service decided, not the stage's previous digest
    assert moved.actions[-1] == ClusterAction("pin", "prod", image=DIGEST_C, expect=DIGEST_C)
    stuck = next_state(live, replace(failed, rollback_to=None))  # nothing known good
    assert stuck.state.stage("prod").status is StageStatus.FAILED
    assert not [a for a in stuck.actions if isinstance(a, ClusterAction)]


def test_a_stale_verification_is_rejected() -> None:
    with pytest.raises(UsageError, match="not the verified"):
        next_state(awaiting_prod(), Verified("prod", DIGEST_B, "pass", T0))


def test_hotfix_lane_keeps_fewer_gates_and_its_quorum() -> None:
    rules = {r.name: r for r in stage_rules(policy(), "hotfix")}
    assert rules["prod"].gates == ("error-rate", "migrations")
    assert rules["stage"].gates == ("smoke", "error-rate")
    assert rules["prod"].quorum == 1
    assert rules["prod"].wait == timedelta(minutes=10)


def test_approving_needs_the_digest_deployed_to_that_stage() -> None:
    state = awaiting_prod()
    fresh = replace(state, stages=(state.stages[0], StageView("prod")))
    with pytest.raises(Refused, match="before approving it there"):
        approve(fresh, "alice")


# --- the guards one by one, over hand-made approval lists (pinned by `make mutate approvals`) ---

SHORT_A = "sha256:" + "a" * 12  # how a refusal names DIGEST_A: its first 19 characters


def with_approvals(*records: ApprovalRecord) -> TrainState:
    state = awaiting_prod()
    return replace(state, stages=(state.stages[0], replace(state.stages[1], approvals=records)))


def record(who: str, digest: str = DIGEST_A, reason: str = "ok", revoked: bool = False):  # type: ignore[no-untyped-def]
    return ApprovalRecord(who, reason, digest, T0, revoked)


PROD = StageRules("prod", ("error-rate",), quorum=2)


def counted(state: TrainState, rules: StageRules = PROD, promoter: str | None = "bob") -> list[str]:
    return [a.approver for a in counted_approvals(state, state.stage("prod"), rules, promoter)]


@pytest.mark.parametrize(
    "excluded",
    [
        record("zed", revoked=True),
        record("zed", digest=DIGEST_B),
        record("captain"),
        record("Bob"),
        record("zed", reason="  "),
    ],
    ids=["revoked", "other-digest", "author", "promoter", "no-reason"],
)
def test_an_excluded_approval_skips_only_itself(excluded: ApprovalRecord) -> None:
    state = with_approvals(excluded, record("alice"), record("carol"))
    assert counted(state) == ["alice", "carol"]


def test_counted_approvals_are_the_records_one_per_person_whatever_the_case() -> None:
    first = record("Alice")
    state = with_approvals(first, record("alice"), record("ALICE"), record("carol"))
    found = counted_approvals(state, state.stage("prod"), PROD, None)
    assert found == [first, record("carol")]


def test_only_listed_approvers_count_and_the_rest_are_skipped() -> None:
    rules = replace(PROD, approvers=frozenset({"alice", "carol"}))
    state = with_approvals(record("mallory"), record("alice"), record("carol"))
    assert counted(state, rules) == ["alice", "carol"]


def test_approving_a_stage_that_serves_another_digest_is_refused() -> None:
    state = awaiting_prod()
    old = replace(state.stages[1], digest=DIGEST_B)  # awaiting approval, but for the old build
    refusal = approval_refusal(replace(state, stages=(state.stages[0], old)), PROD, "alice", "ok")
    assert refusal == f"deploy {SHORT_A} to prod before approving it there"


def test_the_quorum_refusal_counts_stale_and_revoked_apart() -> None:
    rules = replace(PROD, quorum=3)
    only_revoked = with_approvals(record("alice"), record("carol", revoked=True))
    assert quorum_blocker(only_revoked, rules, "bob", T0) == (
        f"approvals: 1 of 3 distinct approvals for {SHORT_A} (1 revoked not counted)"
    )
    both = with_approvals(record("alice", digest=DIGEST_B), record("carol", revoked=True))
    assert quorum_blocker(both, rules, "bob", T0) == (
        f"approvals: 0 of 3 distinct approvals for {SHORT_A} "
        "(1 for another digest, 1 revoked not counted)"
    )
    assert quorum_blocker(with_approvals(record("alice")), rules, "bob", T0) == (
        f"approvals: 1 of 3 distinct approvals for {SHORT_A}"
    )


def test_the_gates_refusal_names_the_digest_and_every_missing_gate() -> None:
    state = awaiting_prod()
    rules = replace(PROD, gates=("burn-rate", "error-rate", "soak"))
    prod = replace(state.stages[1], gate_verdicts=(("burn-rate", "fail"), ("error-rate", "pass")))
    assert gates_blocker(replace(state, stages=(state.stages[0], prod)), rules, "bob", T0) == (
        "required gates not passed for this digest: burn-rate=fail, soak=not run"
    )
    pending = replace(state, digest=None, stages=(state.stages[0], StageView("prod")))
    assert gates_blocker(pending, rules, "bob", T0) == (
        "prod has not passed verification for no digest (stage is pending)"
    )
    unverified = replace(state, stages=(state.stages[0], replace(prod, digest=DIGEST_B)))
    assert gates_blocker(unverified, rules, "bob", T0) == (
        f"prod has not passed verification for {SHORT_A} (stage is awaiting_approval)"
    )


def test_each_refusal_names_its_rule_and_the_blockers_list_their_messages() -> None:
    state = replace(with_approvals(record("alice")), frozen="release-freeze: holidays")
    rules = replace(PROD, promoters=frozenset({"captain"}))
    refusals = promotion_refusals(state, rules, "bob", T0)
    assert [r.rule for r in refusals] == ["promotion.quorum", "promotion.freeze", "promotion.role"]
    assert promotion_blockers(state, rules, "bob", T0) == [r.message for r in refusals]
    assert promotion_blockers(state, rules, "bob", T0)[1:] == [
        "freeze window in force: release-freeze: holidays",
        "bob is not in a role that may promote",
    ]


def test_a_bare_digest_is_named_by_its_own_first_characters() -> None:
    bare = "sha256:" + "f" * 64
    state = replace(with_approvals(), digest=bare)
    assert quorum_blocker(state, PROD, "bob", T0) == (
        "approvals: 0 of 2 distinct approvals for sha256:" + "f" * 12
    )


def test_the_blockers_are_judged_at_the_given_time_by_the_given_guards() -> None:
    state = with_approvals(record("alice"), record("carol"))
    rules = replace(PROD, wait=timedelta(minutes=30))
    soon = promotion_blockers(state, rules, "bob", T0 + timedelta(minutes=10))
    assert soon == [f"wait timer: 20m00s left (until {(T0 + timedelta(minutes=30)).isoformat()})"]
    assert promotion_blockers(state, rules, "bob", T0 + timedelta(minutes=30)) == []
    frozen = replace(with_approvals(), frozen="freeze: audit")
    assert promotion_blockers(frozen, rules, "bob", T0, (freeze_blocker,)) == [
        "freeze window in force: freeze: audit"
    ]
