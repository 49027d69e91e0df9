"""The report's first section: the bottom line an auditor reads before any table — who promoted
what, when and why, whether every gate passed, whether each approval quorum was met."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from trainmaster.audit.chain import AuditEvent
from trainmaster.evidence.record import TrainRecord, belongs_to


def summary_lines(record: TrainRecord, quorum: Mapping[str, int], gaps: int) -> list[str]:
    mine = [e for e in record.audit.events if belongs_to(e.target, record.train.id)]
    lines = ["## Summary", f"- state: **{record.train.state}**"]
    lines += [f"- {_moment('promoted', e)}" for e in _promotions(mine)] or [
        "- promoted: no promotion recorded"
    ]
    lines += [f"- {_moment('rolled back', e)}" for e in mine if "rollback" in e.action]
    verdicts = Counter(g.verdict for g in record.gates)
    counted = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())) or "none recorded"
    failing = verdicts.get("fail", 0) + verdicts.get("inconclusive", 0)
    lines.append(f"- gates: {counted}" + (" — **not all passed**" if failing else ""))
    lines += _approvals(record, quorum)
    lines.append(f"- gaps in this evidence: {gaps}" if gaps else "- gaps in this evidence: none")
    return [*lines, ""]


def _promotions(events: list[AuditEvent]) -> list[AuditEvent]:
    # A person's `promote` (with a reason) is the evidence; the machine's `train.promoted` and
    # the cluster effect that follow it only stand in when no person's event exists.
    by_people = [e for e in events if e.action in ("promote", "train.promote")]
    return by_people or [
        e for e in events if "promot" in e.action and not e.action.startswith("effect.")
    ]


def _moment(what: str, event: AuditEvent) -> str:
    stage = event.target.replace(":", "/").split("/")[-1]
    why = f' — "{event.reason}"' if event.reason else ""
    return f"{what}: {stage} by {event.actor} at {event.at}{why}"


def _approvals(record: TrainRecord, quorum: Mapping[str, int]) -> list[str]:
    lines = []
    stages = sorted({a.stage for a in record.approvals} | {s for s, q in quorum.items() if q})
    for stage in stages:
        people = sorted(
            {a.approver for a in record.approvals if a.stage == stage and not a.revoked}
        )
        needed = quorum.get(stage, 0)
        met = "met" if len(people) >= needed else "**NOT met**"
        who = ", ".join(people) or "nobody"
        lines.append(f"- approvals for {stage}: {who} ({len(people)} of {needed} required: {met})")
    return lines
