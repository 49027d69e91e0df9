"""The promotion guards: approval quorum, digest binding, wait timer, gates, freeze, roles.

Pure. Each rule is one function returning the reason it blocks (or None), so a refusal lists
every unmet rule at once and each rule can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from trainmaster.errors import RefusalReason
from trainmaster.train.model import ApprovalRecord, StageRules, StageStatus, StageView, TrainState


def counted_approvals(
    state: TrainState, view: StageView, rules: StageRules, promoter: str | None
) -> list[ApprovalRecord]:
    """Approvals that count toward the quorum: not revoked, for this digest, by an allowed
    person other than the author (and the promoter), with a reason; one per person."""
    seen: set[str] = set()
    counted: list[ApprovalRecord] = []
    for approval in view.approvals:
        who = approval.approver.casefold()
        if approval.revoked or approval.digest != state.digest or who in seen:
            continue
        if rules.exclude_author and who == state.author.casefold():
            continue
        if rules.exclude_promoter and promoter and who == promoter.casefold():
            continue
        if rules.reason_required and not approval.reason.strip():
            continue
        if rules.approvers is not None and who not in rules.approvers:
            continue
        seen.add(who)
        counted.append(approval)
    return counted


def approval_refusal(state: TrainState, rules: StageRules, actor: str, reason: str) -> str | None:
    """Why `actor` may not approve this stage now, or None (the first unmet rule)."""
    view = state.stage(rules.name)
    who = actor.casefold()
    checks = (
        (not state.digest, f"train {state.id} has no artifact digest yet; record one first"),
        (
            view.status in (StageStatus.PROMOTED, StageStatus.PROMOTING),
            f"{rules.name} is already {view.status.value}",
        ),
        (
            view.digest != state.digest or view.status is StageStatus.PENDING,
            f"deploy {_short(state.digest)} to {rules.name} before approving it there",
        ),
        (
            rules.reason_required and not reason.strip(),
            f"approving {rules.name} needs a reason (--reason)",
        ),
        (
            rules.exclude_author and who == state.author.casefold(),
            f"{actor} cut train {state.id} and may not approve it",
        ),
        (
            rules.approvers is not None and who not in rules.approvers,
            f"{actor} is not in a role that may approve {rules.name}",
        ),
    )
    return next((message for failed, message in checks if failed), None)


def quorum_blocker(
    state: TrainState, rules: StageRules, promoter: str, now: datetime
) -> str | None:
    view = state.stage(rules.name)
    counted = counted_approvals(state, view, rules, promoter)
    if len(counted) >= rules.quorum:
        return None
    stale = sum(1 for a in view.approvals if a.digest != state.digest and not a.revoked)
    revoked = sum(1 for a in view.approvals if a.revoked)
    extra = []
    if stale:
        extra.append(f"{stale} for another digest")
    if revoked:
        extra.append(f"{revoked} revoked")
    more = f" ({', '.join(extra)} not counted)" if extra else ""
    return (
        f"approvals: {len(counted)} of {rules.quorum} distinct approvals for "
        f"{_short(state.digest)}{more}"
    )


def gates_blocker(state: TrainState, rules: StageRules, promoter: str, now: datetime) -> str | None:
    view = state.stage(rules.name)
    if view.digest != state.digest or view.status is not StageStatus.AWAITING_APPROVAL:
        return (
            f"{rules.name} has not passed verification for {_short(state.digest)} "
            f"(stage is {view.status.value})"
        )
    verdicts = dict(view.gate_verdicts)
    missing = [g for g in rules.gates if verdicts.get(g) != "pass"]
    if missing:
        shown = ", ".join(f"{g}={verdicts.get(g, 'not run')}" for g in missing)
        return f"required gates not passed for this digest: {shown}"
    return None


def wait_blocker(state: TrainState, rules: StageRules, promoter: str, now: datetime) -> str | None:
    passed = state.stage(rules.name).gates_passed_at
    if not rules.wait or passed is None:
        return None
    ready = passed + rules.wait
    if now >= ready:
        return None
    left = int((ready - now).total_seconds())
    return f"wait timer: {left // 60}m{left % 60:02d}s left (until {ready.isoformat()})"


def freeze_blocker(
    state: TrainState, rules: StageRules, promoter: str, now: datetime
) -> str | None:
    return f"freeze window in force: {state.frozen}" if state.frozen else None


def role_blocker(state: TrainState, rules: StageRules, promoter: str, now: datetime) -> str | None:
    if rules.promoters is not None and promoter.casefold() not in rules.promoters:
        return f"{promoter} is not in a role that may promote"
    return None


def order_blocker(state: TrainState, rules: StageRules, promoter: str, now: datetime) -> str | None:
    if rules.previous is None:
        return None
    before = state.stage(rules.previous)
    if before.status is StageStatus.PROMOTED and before.digest == state.digest:
        return None
    return f"{rules.previous} must be promoted with this digest before {rules.name}"


Guard = Callable[[TrainState, StageRules, str, datetime], "str | None"]
PROMOTION_GUARDS: tuple[Guard, ...] = (
    order_blocker,
    gates_blocker,
    quorum_blocker,
    wait_blocker,
    freeze_blocker,
    role_blocker,
)


def promotion_blockers(
    state: TrainState,
    rules: StageRules,
    promoter: str,
    now: datetime,
    guards: tuple[Guard, ...] = PROMOTION_GUARDS,
) -> list[str]:
    return [reason.message for reason in promotion_refusals(state, rules, promoter, now, guards)]


def promotion_refusals(
    state: TrainState,
    rules: StageRules,
    promoter: str,
    now: datetime,
    guards: tuple[Guard, ...] = PROMOTION_GUARDS,
) -> tuple[RefusalReason, ...]:
    """Every blocker with its rule: `promotion.order`, `promotion.quorum`, … (the guard's name)."""
    found = ((guard, guard(state, rules, promoter, now)) for guard in guards)
    return tuple(
        RefusalReason("promotion." + guard.__name__.removesuffix("_blocker"), message)
        for guard, message in found
        if message is not None
    )


def _short(digest: str | None) -> str:
    if not digest:
        return "no digest"
    return digest.split("@")[-1][:19]
