"""The train page's content: state per stage (what promotion still waits for), the timeline of
every transition with actor and reason, gates with value, threshold and the measured selector,
approvals, notes and announcement, and the evidence bundle with its verification result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trainmaster.errors import TrainmasterError
from trainmaster.evidence.record import read_train
from trainmaster.web.settings import Site

TIMELINE_LIMIT = 500  # newest events shown; the audit page and API page through the rest


def train_view(site: Site, train_id: str) -> dict[str, Any]:
    from trainmaster.train.use_cases import train_status

    status = train_status(site.backends, train_id)
    record = read_train(site.store, train_id)
    mine = record.audit.train_seqs
    timeline = [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "reason": e.reason,
        }
        for e in record.audit.events
        if e.seq in mine
    ][-TIMELINE_LIMIT:]
    return {
        **status,
        "notes": record.train.notes,
        "announcement": announcement(site, train_id, record.train.data),
        "timeline": timeline,
        "gate_results": [
            _gate(g.stage, g.gate, g.verdict, g.evidence, g.evaluated_at.isoformat())
            for g in record.gates
        ],
        "evidence": evidence_status(site, train_id),
    }


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


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
