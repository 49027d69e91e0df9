"""The train page's content: state per stage (what promotion still waits for), the timeline of
every transition with actor and reason, gates with value, threshold and the measured selector,
approvals, notes and announcement, and the evidence bundle with its verification result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainmaster.errors import TrainmasterError
from trainmaster.evidence.record import belongs_to, json_object
from trainmaster.store.models import AuditEventRow, GateResultRow, TrainRow
from trainmaster.web.settings import Site

TIMELINE_LIMIT = 200  # newest events shown; the audit page pages through all of them


def train_view(site: Site, train_id: str) -> dict[str, Any]:
    from trainmaster.train.use_cases import train_status

    status = train_status(site.backends, train_id)
    with site.store.transaction() as session:
        row = session.execute(
            select(TrainRow.notes, TrainRow.data).where(TrainRow.id == train_id)
        ).one()
        gates = session.execute(
            select(
                GateResultRow.stage,
                GateResultRow.gate,
                GateResultRow.verdict,
                GateResultRow.evidence,
                GateResultRow.evaluated_at,
            )
            .where(GateResultRow.train_id == train_id)
            .order_by(GateResultRow.evaluated_at, GateResultRow.id)
        ).all()
        timeline = _timeline(session, train_id)
        seq = session.execute(select(func.max(AuditEventRow.seq))).scalar_one_or_none()
    return {
        **status,
        "notes": row.notes or "",
        "announcement": announcement(site, train_id, json_object(row.data)),
        "timeline": timeline,
        "gate_results": [
            _gate(g.stage, g.gate, g.verdict, json_object(g.evidence), g.evaluated_at.isoformat())
            for g in gates
        ],
        "evidence": evidence_status(site, train_id),
        "seq": int(seq or 0),  # the chain's tail as read: live updates start from here
    }


def _timeline(session: Session, train_id: str) -> list[dict[str, Any]]:
    """The train's newest events, oldest first. Columns only: no ORM objects for thousands of
    rows. Targets are matched loosely in SQL, exactly in Python (`v1.4` is not `v1.40`)."""
    rows = session.execute(
        select(
            AuditEventRow.seq,
            AuditEventRow.at,
            AuditEventRow.actor,
            AuditEventRow.action,
            AuditEventRow.target,
            AuditEventRow.reason,
        )
        .where(AuditEventRow.target.contains(train_id))
        .order_by(AuditEventRow.seq.desc())
        .limit(TIMELINE_LIMIT * 2)
    ).all()
    mine = [r for r in rows if belongs_to(r.target, train_id)][:TIMELINE_LIMIT]
    return [
        {
            "seq": r.seq,
            "at": r.at,
            "actor": r.actor,
            "action": r.action,
            "target": r.target,
            "reason": r.reason,
        }
        for r in reversed(mine)
    ]


def _gate(stage: str, gate: str, verdict: str, evidence: dict[str, Any], at: str) -> dict[str, Any]:
    return {
        "stage": stage,
        "gate": gate,
        "verdict": verdict,
        "value": evidence.get("value"),
        "threshold": evidence.get("threshold"),
        "comparison": evidence.get("comparison"),
        "window": evidence.get("window"),
        "query": evidence.get("query"),
        "reason": evidence.get("reason", ""),
        "at": at,
    }


def announcement(site: Site, train_id: str, data: dict[str, Any]) -> str:
    """The change announcement for the train's commits (cached: a cut's commits never change)."""
    key = f"announcement:{train_id}"
    if key not in site.cache:
        site.cache[key] = _announce(site, data)
    return str(site.cache[key])


def _announce(site: Site, data: dict[str, Any]) -> str:
    from trainmaster.train.notes_source import render_notes

    commit, previous = data.get("commit"), data.get("previous_tag")
    if not isinstance(commit, str) or not commit:
        return ""
    revisions = f"{previous}..{commit}" if isinstance(previous, str) and previous else commit
    try:
        return render_notes(
            site.policy,
            site.repo_path,
            revisions,
            fmt="md",
            kind="announce",
            store=lambda: site.store,
            base_dir=site.base_dir,
        )
    except TrainmasterError as e:
        return f"(no announcement: {e.message})"


def bundle_path(site: Site, train_id: str) -> Path:
    from trainmaster.evidence.bundle import bundle_name

    return site.evidence_dir / bundle_name(train_id)


def evidence_status(site: Site, train_id: str) -> dict[str, Any]:
    """Whether the train has a bundle and whether it verifies (signature, files, audit chain)."""
    from trainmaster.evidence.verify import verify_bundle

    path = bundle_path(site, train_id)
    if not path.is_file():
        return {"present": False, "verified": False, "detail": "no evidence bundle yet"}
    try:
        result = verify_bundle(path)
    except TrainmasterError as e:
        return {"present": True, "verified": False, "detail": e.message}
    detail = f"{result.files} files, {result.audit_events} audit events, " + (
        f"signed by {result.signer_fingerprint}" if result.signed else "unsigned"
    )
    return {"present": True, "verified": True, "detail": detail, "name": path.name}
