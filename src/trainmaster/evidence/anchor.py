"""Does a bundle's audit excerpt still match the store's chain? A verified bundle proves nobody
edited it; this proves nobody rewrote the store's history after the bundle was built."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from trainmaster.errors import CheckFailed
from trainmaster.evidence import archive
from trainmaster.evidence.manifest import parse_manifest
from trainmaster.store import Store
from trainmaster.store.models import AuditEventRow


def differences_with_store(bundle: Path, store: Store) -> list[str]:
    """Each excerpt event whose hash the store does not hold at the same seq. Call after
    `verify_bundle`: the excerpt itself is then known to be intact."""
    try:
        files = archive.unpack(archive.gunzip(bundle.read_bytes()))
        name = str(parse_manifest(files["manifest.json"]).audit.get("file") or "audit/events.json")
        events = json.loads(files[name])["events"]
    except (OSError, ValueError, KeyError) as e:
        raise CheckFailed(f"{bundle.name}: cannot read its audit excerpt ({e})") from e
    if not events:
        return []
    wanted = {int(e["seq"]): str(e["hash"]) for e in events}
    with store.transaction() as session:
        rows = session.execute(
            select(AuditEventRow.seq, AuditEventRow.hash).where(
                AuditEventRow.seq >= min(wanted), AuditEventRow.seq <= max(wanted)
            )
        ).all()
    held = {seq: digest for seq, digest in rows}
    problems = []
    for seq, digest in sorted(wanted.items()):
        if seq not in held:
            problems.append(f"{name}: seq {seq} is not in the store")
        elif held[seq] != digest:
            problems.append(f"{name}: seq {seq} differs from the store's chain")
    return problems
