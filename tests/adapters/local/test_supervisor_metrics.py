"""The local target keeps one scraper: the supervisor scrapes each colour from its own process,
labels it as kube-prometheus labels a pod, keeps the history across restarts, and every
invocation's gates query it (real supervisor processes, real releases, loopback only)."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.adapters.local.test_local_cluster import V1, V2
from tests.adapters.local.test_supervisor import processes_under, supervisor, wait_for
from trainmaster.adapters.local.client import LocalClient, SupervisorMetrics
from trainmaster.adapters.local.scraping import history_path, load_history, save_history
from trainmaster.adapters.scrape.samples import SampleStore
from trainmaster.config import load_policy
from trainmaster.errors import PolicyError
from trainmaster.gates.backends import metrics_for
from trainmaster.rollout.port import Target, release_hash

__all__ = ["supervisor"]
pytestmark = pytest.mark.slow
PROD = Target("prod", "maestro", "maestro")
STEP = timedelta(seconds=1)


def _last_seconds(metrics: SupervisorMetrics, query: str, seconds: float = 2.0) -> list:  # type: ignore[type-arg]
    end = datetime.fromtimestamp(round(time.time() - 0.5), UTC)
    return metrics.query_range(query, end - timedelta(seconds=seconds), end, STEP)


def test_every_invocation_queries_the_supervisors_scraper_one_colour_at_a_time(
    cli, tmp_path: Path, supervisor
) -> None:  # type: ignore[no-untyped-def]
    _, info = supervisor
    assert cli("rollout", "deploy", V1, "--stage", "prod", "--reason", "ship it").code == 0
    assert cli("rollout", "deploy", V2, "--stage", "prod", "--reason", "ship it").code == 0
    client = LocalClient(info)
    state = client.status(PROD)
    client.close()
    assert (state.active_hash, state.preview_hash) == (
        release_hash(V1, "blue", "maestro"),
        release_hash(V2, "green", "maestro"),
    )
    overview = json.loads(cli("--json", "local", "status").out)
    pods = {
        r["colour"]: r["pod"] for r in (overview["rollouts"][0][k] for k in ("active", "pending"))
    }
    assert pods == {"blue": f"maestro-{state.active_hash}-local",
                    "green": f"maestro-{state.preview_hash}-local"}  # fmt: skip
    time.sleep(3.5)  # a few scrapes, by the supervisor alone: this process scrapes nothing

    seed = load_policy(tmp_path / "trainmaster.yaml")
    scrape = seed.backends.model_copy(update={"metrics": "scrape"})  # the embedded defaults
    metrics = metrics_for(seed.model_copy(update={"backends": scrape}), base_dir=tmp_path)
    assert isinstance(metrics, SupervisorMetrics)
    try:
        for pod_hash in (state.active_hash, state.preview_hash):
            selector = f'job="maestro",pod=~"maestro-{pod_hash}-.*"'
            (rate,) = _last_seconds(metrics, f"rate(http_requests_total{{{selector}}}[3s])")
            assert rate.labels["pod"] == f"maestro-{pod_hash}-local"
            assert rate.labels["namespace"] == "maestro"
            assert rate.points
            assert all(v > 0 for _, v in rate.points)  # every scrape is a request it counts
            (up,) = _last_seconds(metrics, f"up{{{selector}}}")
            assert {v for _, v in up.points} == {1.0}
        both = _last_seconds(metrics, 'sum by (pod) (up{job="maestro"})')
        assert len(both) == 2
        with pytest.raises(PolicyError, match="cannot run this query"):
            _last_seconds(metrics, "topk(1, up)")
    finally:
        metrics.close()


def test_the_history_outlives_the_supervisor(cli, tmp_path: Path, supervisor) -> None:  # type: ignore[no-untyped-def]
    process, info = supervisor
    assert cli("rollout", "deploy", V1, "--stage", "prod", "--reason", "ship it").code == 0
    time.sleep(3.0)
    metrics = SupervisorMetrics(info)
    before = _last_seconds(metrics, 'up{job="maestro"}')
    metrics.close()
    assert before and before[0].points
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    saved = history_path(tmp_path)
    assert saved.stat().st_mode & 0o777 == 0o600

    again = subprocess.Popen(
        [sys.executable, "-m", "trainmaster", "local", "serve"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        metrics = SupervisorMetrics(wait_for(tmp_path, again.pid))
        start = datetime.fromtimestamp(before[0].points[0][0], UTC)
        end = datetime.fromtimestamp(before[0].points[-1][0], UTC)
        (restored,) = metrics.query_range('up{job="maestro"}', start, end, STEP)
        metrics.close()
        assert restored.points == before[0].points  # the earlier scrapes, as they were
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(20)
    assert processes_under(tmp_path) == []


def test_the_saved_history_is_bounded_and_a_bad_file_is_an_empty_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainmaster.adapters.local import scraping

    store = SampleStore()
    labels = (("__name__", "up"), ("job", "maestro"))
    for t in range(10):
        store.add(labels, 100.0 + t, 1.0, stale=t == 9)
    monkeypatch.setattr(scraping, "MAX_SAVED_SAMPLES", 4)
    path = tmp_path / "metrics.json.gz"
    save_history(store, path)
    restored = SampleStore()
    assert load_history(restored, path) == 4  # the newest four only
    ((_, track),) = restored.snapshot()
    assert (track.times, track.stale) == ([106.0, 107.0, 108.0, 109.0], [False, False, False, True])

    path.write_bytes(gzip.compress(json.dumps({"format": 99, "series": []}).encode()))
    assert load_history(SampleStore(), path) == 0
    path.write_bytes(b"not gzip")
    assert load_history(SampleStore(), path) == 0
    assert load_history(SampleStore(), tmp_path / "missing.json.gz") == 0
