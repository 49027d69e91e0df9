"""The audit chain on both stores: appends link, any edited byte is found, concurrency is safe."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from trainmaster.audit import AuditLog, first_broken
from trainmaster.audit.chain import GENESIS, AuditEvent, canonical_json, seal
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


# --- the pure chain, without a store (pinned by `make mutate MODULE=chain`) ---


def sealed(count: int, start: int = 1, prev: str = GENESIS) -> list[AuditEvent]:
    events = []
    for seq in range(start, start + count):
        event = seal(
            seq=seq,
            at=f"2026-12-04T17:0{seq % 10}:00.000000Z",
            actor="alice",
            action="promote",
            target=f"v1.{seq}.0/prod",
            reason=f"r{seq}",
            payload={"n": seq, "digest": "sha256:" + "a" * 64},
            prev=prev,
        )
        events.append(event)
        prev = event.hash
    return events


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_utf8() -> None:
    assert canonical_json({"b": [1, 2], "a": "déploiement"}) == '{"a":"déploiement","b":[1,2]}'


def test_an_event_hash_is_sha256_over_the_canonical_body_with_its_link() -> None:
    event = sealed(1)[0]
    assert event.payload == '{"digest":"sha256:' + "a" * 64 + '","n":1}'
    text_of_body = canonical_json(event.body())
    assert event.hash == hashlib.sha256(text_of_body.encode("utf-8")).hexdigest()
    assert event.body()["prev_hash"] == GENESIS and "hash" not in event.body()
    assert event.as_dict() == {
        **event.body(),
        "payload": {"n": 1, "digest": "sha256:" + "a" * 64},
        "hash": event.hash,
    }


def test_first_broken_names_the_first_bad_seq_or_none() -> None:
    events = sealed(4)
    assert first_broken(events) is None
    assert first_broken([]) is None
    gap = [events[0], events[2], events[3]]
    assert first_broken(gap) == 2  # the missing one
    relinked = [*events[:2], dataclasses.replace(events[2], prev_hash="1" * 64), events[3]]
    assert first_broken(relinked) == 3
    edited = [*events[:3], dataclasses.replace(events[3], reason="r4 ")]
    assert first_broken(edited) == 4
    excerpt = sealed(2, start=7, prev=events[3].hash)
    assert first_broken(excerpt, start_prev=events[3].hash) is None
    assert first_broken(excerpt) == 7
