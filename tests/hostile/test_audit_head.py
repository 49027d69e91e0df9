"""The audit chain's signed head, kept outside the store: a deleted tail and a rewrite with every
later hash recomputed are both detected, on both stores, in the file and in the git ref."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from trainmaster.audit import AuditLog
from trainmaster.audit.chain import event_hash
from trainmaster.audit.checkpoint import REF, check_heads, keeper_of
from trainmaster.audit.log import event_from_row
from trainmaster.store import Store, open_store
from trainmaster.store.models import AuditEventRow


def _fill(store: Store, count: int) -> None:
    log = AuditLog(store)
    for i in range(count):
        log.append(actor="alice", action="promote", target=f"v1.{i}.0/prod", reason=f"r{i}")


def _recompute_from(store: Store, seq: int, actor: str) -> None:
    """What a careful forger does: edit one event, then re-hash it and every later one."""
    with store.transaction() as session:
        rows = session.execute(select(AuditEventRow).order_by(AuditEventRow.seq)).scalars().all()
        prev = None
        for row in rows:
            if row.seq == seq:
                row.actor = actor
            if prev is not None:
                row.prev_hash = prev
            if row.seq >= seq:
                row.hash = event_hash(event_from_row(row).body())
            prev = row.hash


def test_an_intact_chain_matches_its_head(store: Store) -> None:
    _fill(store, 4)
    judgement = check_heads(store)
    assert judgement.problems == () and judgement.notes == ()
    keeper = keeper_of(store)
    assert keeper is not None and keeper.read_file() is not None
    assert keeper.read_file().seq == 4  # type: ignore[union-attr]


def test_a_deleted_tail_is_detected(store: Store) -> None:
    _fill(store, 5)
    with store.transaction() as session:
        session.execute(delete(AuditEventRow).where(AuditEventRow.seq > 3))
    assert AuditLog(store).verify() is None  # the chain alone cannot tell
    [problem] = check_heads(store).problems
    assert "ends at seq 3 but the signed head is seq 5" in problem


def test_a_rewrite_with_recomputed_hashes_is_detected(store: Store) -> None:
    _fill(store, 5)
    _recompute_from(store, 2, "mallory")
    assert AuditLog(store).verify() is None
    [problem] = check_heads(store).problems
    assert "event 5 differs from the signed head" in problem


def test_a_forged_checkpoint_is_refused(store: Store) -> None:
    _fill(store, 3)
    keeper = keeper_of(store)
    assert keeper is not None
    body = json.loads(keeper.checkpoint.read_text())
    body["seq"] = 2
    keeper.checkpoint.write_text(json.dumps(body))
    assert "signature does not verify" in check_heads(store).problems[0]


def test_a_deleted_checkpoint_is_missed_once_a_key_exists(store: Store) -> None:
    _fill(store, 2)
    keeper = keeper_of(store)
    assert keeper is not None
    keeper.checkpoint.unlink()
    assert "the signed head is missing" in check_heads(store).problems[0]


def test_events_after_the_head_are_noted_not_failed(store: Store) -> None:
    _fill(store, 2)
    keeper = keeper_of(store)
    assert keeper is not None
    old = keeper.checkpoint.read_text()
    _fill(store, 1)
    keeper.checkpoint.write_text(old)
    judgement = check_heads(store)
    assert judgement.problems == ()
    assert "1 newest event(s) are after the signed head" in judgement.notes[0]


def _git_repo(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def test_the_git_ref_keeps_the_head_when_the_checkpoint_file_goes(tmp_path: Path) -> None:
    _git_repo(tmp_path)
    store = open_store("sqlite:///.trainmaster/state.db", tmp_path)
    try:
        _fill(store, 4)
        shown = subprocess.run(
            ["git", "-C", str(tmp_path), "cat-file", "blob", REF],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(shown.stdout)["seq"] == 4
        keeper = keeper_of(store)
        assert keeper is not None
        keeper.checkpoint.unlink()
        with store.transaction() as session:
            session.execute(delete(AuditEventRow).where(AuditEventRow.seq == 4))
        problems = check_heads(store).problems
        assert any(p.startswith(REF) and "ends at seq 3" in p for p in problems)
    finally:
        store.dispose()


def test_audit_verify_through_the_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    store = open_store("sqlite:///.trainmaster/state.db", tmp_path)
    _fill(store, 3)
    store.dispose()
    ok = cli("--json", "audit", "verify")
    assert ok.code == 0 and json.loads(ok.out)["intact"] is True
    with sqlite3.connect(tmp_path / ".trainmaster" / "state.db") as db:
        db.execute("DELETE FROM audit_events WHERE seq = 3")
    bad = cli("audit", "verify")
    assert bad.code == 1
    assert "the newest events were deleted" in bad.err


@pytest.mark.parametrize("mode", ["file", "key"])
def test_the_head_files_are_private(store: Store, mode: str) -> None:
    _fill(store, 1)
    keeper = keeper_of(store)
    assert keeper is not None
    path = keeper.checkpoint if mode == "file" else keeper.key_file
    assert path.stat().st_mode & 0o077 == 0


def test_an_update_that_rolls_back_keeps_the_old_head(store: Store) -> None:
    _fill(store, 2)
    from trainmaster.audit.log import append_event

    with pytest.raises(RuntimeError), store.transaction() as session:
        append_event(session, actor="a", action="x", target="t")
        raise RuntimeError("abort")
    keeper = keeper_of(store)
    assert keeper is not None and keeper.read_file().seq == 2  # type: ignore[union-attr]
    with store.transaction() as session:
        session.execute(update(AuditEventRow).where(AuditEventRow.seq == 1).values(reason="r0"))
    assert check_heads(store).problems == ()
