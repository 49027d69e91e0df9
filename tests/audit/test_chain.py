"""The audit chain on both stores: appends link, any edited byte is found, concurrency is safe."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from trainmaster.audit import AuditLog, first_broken
from trainmaster.audit.chain import GENESIS
from trainmaster.store import Store, open_store


def fill(log: AuditLog, count: int) -> None:
    for i in range(count):
        log.append(
            actor="alice",
            action="promote",
            target=f"v1.{i}.0/prod",
            reason=f"r{i}",
            payload={"digest": "sha256:" + "a" * 64, "n": i},
        )


def test_events_link_into_one_chain(store: Store) -> None:
    log = AuditLog(store)
    fill(log, 5)
    events = list(log.events())
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert log.verify() is None


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "mallory"),
        ("reason", "r2 "),
        ("payload", '{"digest":"x","n":2}'),
        ("at", "2020-01-01T00:00:00.000000Z"),
        ("action", "rollback"),
        ("target", "v9/prod"),
        ("prev_hash", "1" * 64),
        ("hash", "f" * 64),
    ],
)
def test_editing_any_field_breaks_verification(store: Store, column: str, value: str) -> None:
    log = AuditLog(store)
    fill(log, 4)
    with store.transaction() as session:
        session.execute(text(f"UPDATE audit_events SET {column} = :v WHERE seq = 3"), {"v": value})
    assert log.verify() == 3


def test_deleting_a_middle_event_is_found(store: Store) -> None:
    log = AuditLog(store)
    fill(log, 4)
    with store.transaction() as session:
        session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    assert log.verify() == 2


def test_an_excerpt_verifies_from_its_own_start(store: Store) -> None:
    log = AuditLog(store)
    fill(log, 6)
    events = list(log.events())
    assert first_broken(events[3:], start_prev=events[2].hash) is None
    assert first_broken(events[3:]) == 4


def test_payloads_with_resolved_secrets_are_redacted(store: Store) -> None:
    from trainmaster.redaction import register_secret

    register_secret("ghp_" + "x" * 36)
    event = AuditLog(store).append(
        actor="bot",
        action="governance.apply",
        target="acme/maestro",
        payload={"header": "token ghp_" + "x" * 36},
    )
    assert "ghp_" not in event.payload


@pytest.mark.postgres
def test_fifty_concurrent_appenders_leave_one_chain_on_postgres(
    postgres_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    open_store(postgres_url, tmp_path, upgrade=True).dispose()

    def appender(n: int) -> None:
        own = open_store(postgres_url, tmp_path, upgrade=False)
        try:
            fill(AuditLog(own), 3)
        finally:
            own.dispose()

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(appender, range(50)))
    store = open_store(postgres_url, tmp_path, upgrade=False)
    log = AuditLog(store)
    events = list(log.events())
    assert len(events) == 150
    assert [e.seq for e in events] == list(range(1, 151))
    assert log.verify() is None
    store.dispose()


def test_concurrent_appenders_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'state.db'}"
    open_store(url, tmp_path).dispose()

    def appender(n: int) -> None:
        own = open_store(url, tmp_path)
        try:
            fill(AuditLog(own), 3)
        finally:
            own.dispose()

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(appender, range(10)))
    store = open_store(url, tmp_path)
    assert AuditLog(store).verify() is None
    assert len(list(AuditLog(store).events())) == 30
    store.dispose()
