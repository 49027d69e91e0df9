"""`watch`: post-promotion analysis on a real Prometheus, rolling back through a fake cluster."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.gates.conftest import MIN, T0
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.audit import AuditLog
from trainmaster.config.model import Policy
from trainmaster.errors import ConflictError
from trainmaster.gates.watch import watch
from trainmaster.rollout.port import RolloutState, Target
from trainmaster.store import Store

OLD = "ghcr.io/acme/maestro@sha256:" + "a" * 64
NEW = "ghcr.io/acme/maestro@sha256:" + "b" * 64


class FakeCluster:
    def __init__(self, *, paused: bool = False, crash_after_undo: bool = False) -> None:
        target = Target("prod", "maestro", "maestro")
        self.state = RolloutState(
            target,
            "Paused" if paused else "Healthy",
            OLD if paused else NEW,
            NEW if paused else None,
            7,
            paused,
        )
        self.calls: list[str] = []
        self.crash_after_undo = crash_after_undo

    def status(self, target: Target) -> RolloutState:
        return self.state

    def undo(self, target: Target, *, to_revision: int | None = None) -> None:
        self.calls.append("undo")
        self.state = replace(self.state, stable=OLD, revision=self.state.revision + 1)
        if self.crash_after_undo:
            self.crash_after_undo = False
            raise RuntimeError("the watcher died right after the undo")

    def abort(self, target: Target) -> None:
        self.calls.append("abort")
        self.state = replace(self.state, phase="Degraded", preview=None, paused=False)

    def deploy(self, target: Target, image: str) -> None:  # pragma: no cover - unused
        raise AssertionError

    def promote(self, target: Target, *, full: bool = False) -> None:  # pragma: no cover
        raise AssertionError

    def pin(self, target: Target, image: str) -> None:  # pragma: no cover
        raise AssertionError


class Clock:
    """Virtual time: `sleep` advances it; `crash_at` simulates the watcher dying mid-analysis."""

    def __init__(self, start: float, crash_at: int | None = None) -> None:
        self.now = datetime.fromtimestamp(start, UTC)
        self.sleeps = 0
        self.crash_at = crash_at

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.crash_at is not None and self.sleeps >= self.crash_at:
            raise KeyboardInterrupt
        self.now += timedelta(seconds=seconds)


def run(
    policy: Policy, url: str, store: Store, cluster: FakeCluster, clock: Clock, service: str, **kw
):  # type: ignore[no-untyped-def]
    return watch(
        policy,
        "prod",
        metrics=PrometheusMetrics(url),
        cluster=cluster,
        store=store,
        duration=kw.pop("duration", timedelta(minutes=30)),
        interval=timedelta(seconds=30),
        clock=clock,
        sleep=clock.sleep,
        actor="sre@example.com",
        service=service,
        **kw,
    )


def test_errors_roll_back_with_undo_and_audit(seed_policy, golden_prometheus, store) -> None:  # type: ignore[no-untyped-def]
    cluster, clock = FakeCluster(), Clock(T0 - 15 * MIN)
    outcome = run(seed_policy, golden_prometheus, store, cluster, clock, "errors5")
    assert outcome.status == "rolled_back" and outcome.applied
    assert cluster.calls == ["undo"]
    assert outcome.plan is not None and outcome.plan.action == "undo"
    assert outcome.plan.signals[0] in ("error-rate", "burn-rate")
    # onset T0-10m at 5 %: the 5-minute ratio passes 2 % once 2 of its 5 minutes are bad
    failed_at = clock().timestamp()
    assert T0 - 8 * MIN < failed_at <= T0 - 7 * MIN
    events = list(AuditLog(store).events(action="rollback"))
    assert len(events) == 1 and events[0].actor == "sre@example.com"
    assert json.loads(events[0].payload)["plan"]["action"] == "undo"
    assert AuditLog(store).verify() is None


def test_a_healthy_release_passes_after_the_whole_window(
    seed_policy, golden_prometheus, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from trainmaster.store import open_store
    from trainmaster.store.models import GateResultRow

    store = open_store(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    cluster, clock = FakeCluster(), Clock(T0 - 3 * MIN)
    outcome = run(
        seed_policy,
        golden_prometheus,
        store,
        cluster,
        clock,
        "healthy",
        duration=timedelta(minutes=3),
    )
    assert outcome.status == "passed" and outcome.evaluations == 7  # 0s, 30s, ... 180s
    assert cluster.calls == []
    with store.transaction() as session:
        rows = session.execute(select(func.count()).select_from(GateResultRow)).scalar()
    assert rows == 7 * 5
    # running it again reports the finished analysis instead of starting another
    again = run(seed_policy, golden_prometheus, store, cluster, Clock(T0), "healthy")
    assert again.resumed and again.status == "passed" and again.evaluations == 7


def test_a_restarted_watch_resumes_the_same_analysis(
    seed_policy, golden_prometheus, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    cluster = FakeCluster()
    first = Clock(T0 - 14 * MIN, crash_at=3)
    with pytest.raises(KeyboardInterrupt):
        run(seed_policy, golden_prometheus, store, cluster, first, "errors5")
    later = Clock(T0 - 11 * MIN)
    outcome = run(seed_policy, golden_prometheus, store, cluster, later, "errors5")
    assert outcome.resumed
    assert outcome.evaluations > 3  # counted on from the first run
    assert outcome.status == "rolled_back" and cluster.calls == ["undo"]
    assert len(list(AuditLog(store).events(action="gate.watch.start"))) == 1


def test_a_rollback_interrupted_after_the_undo_is_not_repeated(
    seed_policy, golden_prometheus, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    cluster = FakeCluster(crash_after_undo=True)
    with pytest.raises(RuntimeError):
        run(seed_policy, golden_prometheus, store, cluster, Clock(T0 - 11 * MIN), "errors5")
    outcome = run(seed_policy, golden_prometheus, store, cluster, Clock(T0 - 5 * MIN), "errors5")
    assert outcome.status == "rolled_back"
    assert cluster.calls == ["undo"]  # the cluster already showed the old image: not undone twice
    assert len(list(AuditLog(store).events(action="rollback"))) == 1


def test_a_paused_preview_is_aborted(seed_policy, golden_prometheus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    cluster = FakeCluster(paused=True)
    outcome = run(seed_policy, golden_prometheus, store, cluster, Clock(T0 - 2 * MIN), "slow6")
    assert cluster.calls == ["abort"]
    assert outcome.plan is not None and outcome.plan.from_image == NEW
    assert "p95-latency" in outcome.plan.signals


def test_dry_run_plans_without_touching_cluster_or_store(
    seed_policy, golden_prometheus, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    cluster = FakeCluster()
    outcome = run(seed_policy, golden_prometheus, store, cluster, Clock(T0), "hot", dry_run=True)
    assert outcome.status == "failed" and not outcome.applied
    assert outcome.plan is not None and "saturation" in outcome.plan.describe()
    assert cluster.calls == []
    assert list(AuditLog(store).events()) == []


def test_two_watchers_never_both_write(seed_policy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.gates.watch_state import WatchState, load_or_start, save
    from trainmaster.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    now = datetime.fromtimestamp(T0, UTC)
    fresh = WatchState(
        "k", "prod", "maestro/maestro", NEW, "running", now, now, 30.0, 0, None, "{}", 1
    )
    with store.transaction() as session:
        state, _ = load_or_start(session, fresh, now)
    with store.transaction() as session:
        save(session, state, now, evaluations=1)
    with pytest.raises(ConflictError), store.transaction() as session:
        save(session, state, now, evaluations=1)


def test_a_watch_without_data_ends_inconclusive_and_never_rolls_back(
    seed_policy, golden_prometheus, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}", tmp_path)
    cluster = FakeCluster()
    outcome = run(
        seed_policy,
        golden_prometheus,
        store,
        cluster,
        Clock(T0 - 2 * MIN),
        "idle",
        duration=timedelta(minutes=1),
    )
    assert outcome.status == "inconclusive" and outcome.verdict.value == "inconclusive"
    assert outcome.evaluations == 3 and cluster.calls == []
    assert outcome.last_report is not None
    assert "p95-latency: no data" in " ".join(s.reason for s in outcome.last_report.signals)


def test_a_sustained_window_beyond_prometheus_resolution_is_a_policy_error(seed_policy) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.config.model import Signal
    from trainmaster.errors import PolicyError
    from trainmaster.gates.queries import Scope
    from trainmaster.gates.signals import plan_query

    signal = Signal.model_validate(
        {"kind": "sustained", "query": "up", "threshold": 1, "for": "3d", "step": "15s"}
    )
    with pytest.raises(PolicyError, match=r"signals\.long: for/step is 17281 points"):
        plan_query("long", signal, Scope("s", "n"), T0)
