"""The local target for real: processes, ports, the proxy, switches under load."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from trainmaster.adapters.local.cluster import LocalCluster
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import ExternalError, UsageError
from trainmaster.rollout.plan import Operation
from trainmaster.rollout.port import Target

SERVICE = Path(__file__).with_name("service.py")
V1 = "ghcr.io/acme/maestro@sha256:" + "1" * 64
V2 = "ghcr.io/acme/maestro@sha256:" + "2" * 64
V3 = "ghcr.io/acme/maestro@sha256:" + "3" * 64
PROD = Target("prod", "maestro", "maestro")


def local_policy_text() -> str:
    command = f"{sys.executable} {SERVICE} --port {{port}} --version {{version}}"
    text = seed_policy_text("acme", "maestro").replace("cluster: argo-rollouts", "cluster: local")
    return text.replace("\nbackends:\n", f"\nbackends:\n  local:\n    command: {command}\n")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    local = LocalCluster(parse_policy(local_policy_text()), tmp_path)
    for image, version in ((V1, "1.0.0"), (V2, "1.1.0"), (V3, "1.2.0")):
        local.register_artifact(image, tmp_path, version)
    yield local
    local.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _version(url: str) -> str:
    return httpx.get(url, timeout=5).text.strip()


def test_blue_green_switch_under_load_drops_nothing(cluster: LocalCluster):
    cluster.deploy(PROD, V1)  # the first release goes live at once
    active = cluster.endpoints(PROD).active
    assert active is not None and _version(active) == "version 1.0.0"

    cluster.deploy(PROD, V2)  # prod waits for a manual promote
    ends = cluster.endpoints(PROD)
    assert ends.preview is not None and _version(ends.preview) == "version 1.1.0"
    assert _version(active) == "version 1.0.0" and cluster.status(PROD).phase == "Paused"

    failures: list[str] = []
    seen: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                try:
                    response = client.get(active)
                    if response.status_code != 200:
                        failures.append(str(response.status_code))
                    seen.append(response.text.strip())
                except httpx.HTTPError as e:
                    failures.append(repr(e))

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        while len(seen) < 20 and not failures:  # load is flowing before the first switch
            threading.Event().wait(0.01)
        cluster.promote(PROD)  # blue → green
        for _ in range(5):
            cluster.undo(PROD)  # back to the warm blue
            cluster.pin(PROD, V2)  # and to the warm green again
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert failures == []
    assert set(seen) == {"version 1.0.0", "version 1.1.0"} and len(seen) > 20
    assert _version(active) == "version 1.1.0"


def test_undo_switches_back_to_the_warm_colour_without_starting_anything(cluster: LocalCluster):
    cluster.deploy(PROD, V1)
    cluster.deploy(PROD, V2)
    cluster.promote(PROD)
    slot = cluster._slots[("maestro", "maestro")]
    warm = slot.previous
    assert warm is not None and warm.alive
    plan = cluster.plan(PROD, Operation("undo"))
    assert [p.body for p in plan.patches] == [{"switch": {"to": "previous"}}]
    cluster.undo(PROD)
    assert slot.active is warm  # the same process: no start, no health wait
    assert _version(cluster.endpoints(PROD).active or "") == "version 1.0.0"
    assert cluster.status(PROD).stable == V1


def test_abort_stops_the_preview_and_keeps_serving_stable(cluster: LocalCluster):
    cluster.deploy(PROD, V1)
    cluster.deploy(PROD, V2)
    pending = cluster._slots[("maestro", "maestro")].pending
    assert pending is not None and pending.process is not None
    cluster.abort(PROD)
    assert not pending.alive and cluster.status(PROD).phase == "Degraded"
    assert _version(cluster.endpoints(PROD).active or "") == "version 1.0.0"


def test_a_tag_is_refused_and_an_unhealthy_release_never_gets_traffic(tmp_path: Path):
    text = local_policy_text().replace("--port {port}", "--port {port} --nope")
    broken = LocalCluster(parse_policy(text), tmp_path)
    try:
        with pytest.raises(UsageError, match="immutable"):
            broken.deploy(PROD, "ghcr.io/acme/maestro:latest")
        with pytest.raises(ExternalError, match="exited"):
            broken.deploy(PROD, V1)
        assert broken.status(PROD).phase == "Missing"
    finally:
        broken.close()


def test_close_kills_every_child_and_preview_is_a_third_process(cluster: LocalCluster):
    from trainmaster.rollout.preview import preview_namespace

    cluster.deploy(PROD, V1)
    cluster.deploy(PROD, V2)
    manifest = preview_namespace("pr-7", 7, None, datetime.now(UTC))
    assert cluster.preview_up(manifest, image=V3) == "created"
    url = cluster.preview_url("pr-7")
    assert url is not None and _version(url) == "version 1.2.0"
    assert [env.pr for env in cluster.previews()] == [7]
    slot = cluster._slots[("maestro", "maestro")]
    pids = [r.process.pid for r in (slot.active, slot.pending) if r and r.process]
    pids.append(cluster._previews["pr-7"][1].process.pid)  # type: ignore[union-attr]
    assert len(set(pids)) == 3 and all(_pid_alive(p) for p in pids)
    cluster.close()
    assert not any(_pid_alive(p) for p in pids)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [2, 15])  # Ctrl-C and SIGTERM
def test_the_owning_process_leaves_no_orphans(tmp_path: Path, signum: int):
    import signal
    import subprocess

    root = Path(__file__).parents[3]
    owner = subprocess.Popen(
        [sys.executable, "-m", "tests.adapters.local.owner", str(tmp_path)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert len(pids) == 2 and all(_pid_alive(p) for p in pids)
    owner.send_signal(signal.Signals(signum))
    owner.wait(20)
    assert not any(_pid_alive(p) for p in pids)


def test_the_old_colour_is_scaled_down_after_the_stage_delay(tmp_path: Path):
    import time

    text = local_policy_text().replace("scale_down_delay: 30m", "scale_down_delay: 1s")
    local = LocalCluster(parse_policy(text), tmp_path)
    for image in (V1, V2):
        local.register_artifact(image, tmp_path, image[-2:])
    try:
        local.deploy(PROD, V1)
        local.deploy(PROD, V2)
        local.promote(PROD)
        slot = local._slots[("maestro", "maestro")]
        old = slot.previous
        assert old is not None and old.alive
        deadline = time.monotonic() + 10
        while slot.previous is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slot.previous is None and not old.alive
        plan = local.plan(PROD, Operation("undo"))  # no warm colour left: start, then switch
        assert [p.body for p in plan.patches] == [
            {"start": {"image": V1}},
            {"switch": {"to": "pending"}},
        ]
        assert any("outlasts scale_down_delay" in w for w in plan.warnings)
        local.undo(PROD)
        assert _version(local.endpoints(PROD).active or "") == "version 11"
    finally:
        local.close()


def test_each_colour_has_its_own_pod_hash_and_retry_and_restart_work(cluster: LocalCluster):
    """The shared contract with the gates: RolloutState.active_hash / preview_hash select one
    colour's series (pod="<service>-<hash>-local"); the same digest differs by colour."""
    from trainmaster.rollout.port import release_hash

    cluster.deploy(PROD, V1)
    cluster.deploy(PROD, V2)
    state = cluster.status(PROD)
    assert state.active_hash == release_hash(V1, "blue", "maestro")
    assert state.preview_hash == release_hash(V2, "green", "maestro")
    assert release_hash(V1, "blue") != release_hash(V1, "green")
    assert release_hash(V1, "blue", "maestro") != release_hash(V1, "blue", "maestro-staging")
    assert len(state.active_hash or "") == 10

    cluster.abort(PROD)
    assert cluster.status(PROD).preview_hash is None
    cluster.retry(PROD)  # the aborted release comes back as a preview
    assert cluster.status(PROD).preview == V2 and cluster.plan(PROD, Operation("retry")).noop
    with pytest.raises(UsageError, match="promote or abort"):
        cluster.restart(PROD)
    cluster.promote(PROD)
    before = cluster.status(PROD)
    cluster.restart(PROD)
    after = cluster.status(PROD)
    assert after.stable == before.stable == V2 and after.active_hash != before.active_hash
    assert _version(cluster.endpoints(PROD).active or "") == "version 1.1.0"


def test_an_in_process_scraper_labels_each_colour_with_its_pod(cluster: LocalCluster):
    """Without a supervisor (the demo) the scrape targets carry the same pod labels as the
    supervisor's scraper, so a colour-scoped query finds one colour's series."""
    from datetime import UTC, datetime, timedelta

    from trainmaster.adapters.scrape import ScrapeMetrics
    from trainmaster.gates.backends import local_scrape_urls

    cluster.deploy(PROD, V1)
    cluster.deploy(PROD, V2)
    state = cluster.status(PROD)
    urls = local_scrape_urls(cluster.policy, cluster, PROD)
    scraper = ScrapeMetrics(urls, job="maestro", labels=urls.labels)  # type: ignore[attr-defined]
    now = datetime.now(UTC).replace(microsecond=0)
    for second in (2, 1):
        scraper.scrape((now - timedelta(seconds=second)).timestamp())
    try:
        for pod_hash, endpoint in (
            (state.active_hash, cluster.endpoints(PROD).active),
            (state.preview_hash, cluster.endpoints(PROD).preview),
        ):
            query = f'up{{job="maestro",namespace="maestro",pod=~"maestro-{pod_hash}-.*"}}'
            step = timedelta(seconds=1)
            (series,) = scraper.query_range(query, now - 2 * step, now - step, step)
            assert series.labels["instance"] == (endpoint or "").split("//")[1]
            assert [v for _, v in series.points] == [1.0, 1.0]
    finally:
        scraper.close()
