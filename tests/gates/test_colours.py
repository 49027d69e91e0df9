"""Colour-aware signals: a blue-green verification measures only the colour under test.

One real Prometheus holds both colours of `maestro` (same `job`, pods named
`maestro-<rollouts-pod-template-hash>-<suffix>` as Argo Rollouts names them). The cluster
reports each colour's hash (`RolloutState.active_hash` / `preview_hash`); the policy's
`metrics.pods` template turns it into matchers on every selector.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.gates.test_watch import NEW, OLD, Clock, FakeCluster
from tests.gates.traffic import Traffic, record
from tests.prometheus_server import Samples, prometheus_with
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.config import parse_policy
from trainmaster.config.model import Policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError
from trainmaster.gates.queries import Scope
from trainmaster.gates.scope import colour_of, scope_for, scoped
from trainmaster.gates.signals import plan_query
from trainmaster.gates.watch import watch, watched_scope
from trainmaster.rollout.port import RolloutState
from trainmaster.train.verification import GatesVerifier

T = 1_750_020_000.0  # on every step grid
GOOD, BAD = "6c9f8d7b5", "5d8f7c9b4"  # pod-template hashes
SLOW_AND_FAILING = {
    "latency": lambda _t: 2.5,
    "error_ratio": lambda _t: 0.2,
    "cpu": lambda _t: 0.95,
}
NOT_PREVIEW = f'pod=~"maestro-{GOOD}-.*"'
PREVIEW = f'pod=~"maestro-{BAD}-.*"'


@pytest.fixture(scope="module")
def colours() -> Iterator[str]:
    """maestro's colour GOOD is healthy; colour BAD is slow, failing and saturated."""
    samples = Samples()
    record(samples, Traffic("maestro", pod_hash=GOOD), T - 2 * 3600, T)
    record(samples, Traffic("maestro", pod_hash=BAD, **SLOW_AND_FAILING), T - 2 * 3600, T)  # type: ignore[arg-type]
    with prometheus_with(samples) as url:
        yield url


@pytest.fixture
def policy() -> Policy:
    return parse_policy(seed_policy_text(), "trainmaster.yaml")


def cluster(*, paused: bool, active: str, preview: str | None) -> FakeCluster:
    fake = FakeCluster(paused=paused)
    fake.state = replace(fake.state, active_hash=active, preview_hash=preview)
    return fake


def test_scoped_adds_the_colour_to_every_selector_of_every_seed_query(policy: Policy) -> None:
    scope = Scope("maestro", "maestro", "preview", PREVIEW)
    for name, signal in policy.signals.items():
        if signal.kind.value == "migration":
            continue
        query, _, _ = plan_query(name, signal, scope, T)
        selectors = query.count("{")
        assert selectors >= 1 and query.count(PREVIEW) == selectors, (name, query)
        assert GOOD not in query


def test_a_query_outside_the_subset_is_refused_rather_than_measured_on_both_colours(
    policy: Policy,
) -> None:
    signal = policy.signals["p95-latency"].model_copy(
        update={"query": 'quantile_over_time(0.95, http_seconds{job="$service"}[5m])'}
    )
    with pytest.raises(PolicyError, match="cannot measure only the preview colour"):
        plan_query("p95-latency", signal, Scope("maestro", "maestro", "preview", PREVIEW), T)
    unscoped, _, _ = plan_query("p95-latency", signal, Scope("maestro", "maestro"), T)
    assert unscoped.startswith("quantile_over_time")  # without a colour the query is as written
    assert scoped("up", "") == "up"


def test_scope_for_picks_the_colours_hash_and_colour_of_finds_the_digest(policy: Policy) -> None:
    state = cluster(paused=True, active=GOOD, preview=BAD).state
    assert scope_for(policy, "prod", rollout=state, colour="preview").selector == PREVIEW
    assert scope_for(policy, "prod", rollout=state, colour="active").selector == NOT_PREVIEW
    assert scope_for(policy, "prod").selector == ""
    nothing = replace(state, preview_hash=None)
    assert scope_for(policy, "prod", rollout=nothing, colour="preview").selector == ""
    assert colour_of(state, NEW.split("@")[1]) == "preview"
    assert colour_of(state, OLD) == "active"
    assert colour_of(state, "sha256:" + "c" * 64) is None
    custom = policy.model_copy(
        update={
            "metrics": policy.metrics.model_copy(
                update={"pods": 'rollouts_pod_template_hash="{hash}"'}
            )
        }
    )
    scope = scope_for(custom, "prod", rollout=state, colour="preview")
    assert scope.selector == f'rollouts_pod_template_hash="{BAD}"'


def _verify(policy: Policy, url: str, fake: FakeCluster, image: str) -> dict[str, dict]:  # type: ignore[type-arg]
    verifier = GatesVerifier(policy, PrometheusMetrics(url), cluster=fake)
    at = datetime.fromtimestamp(T, UTC)
    only = ["p95-latency", "burn-rate", "error-rate", "saturation"]
    result = verifier.verify("prod", image.split("@")[1], at=at, only=only)
    return {g.gate: dict(g.evidence) for g in result.gates}


def test_a_bad_preview_fails_its_verification_and_a_good_active_colour_passes(
    policy: Policy, colours: str
) -> None:
    fake = cluster(paused=True, active=GOOD, preview=BAD)
    preview = _verify(policy, colours, fake, NEW)
    assert {g: e["verdict"] for g, e in preview.items()} == dict.fromkeys(preview, "fail")
    assert preview
    assert all(e["colour"] == "preview" and e["selector"] == PREVIEW for e in preview.values())
    active = _verify(policy, colours, fake, OLD)
    assert {g: e["verdict"] for g, e in active.items()} == dict.fromkeys(active, "pass")
    assert active
    assert all(e["selector"] == NOT_PREVIEW and BAD not in e["query"] for e in active.values())
    assert fake.calls == []


def test_a_good_preview_is_not_failed_by_a_bad_active_colour(policy: Policy, colours: str) -> None:
    fake = cluster(paused=True, active=BAD, preview=GOOD)
    preview = _verify(policy, colours, fake, NEW)
    assert {g: e["verdict"] for g, e in preview.items()} == dict.fromkeys(preview, "pass")
    # without colours (a cluster that reports no hashes) the same evaluation mixes both
    unknown = cluster(paused=True, active="", preview="")
    mixed = _verify(policy, colours, unknown, NEW)
    assert mixed["error-rate"]["verdict"] == "fail" and mixed["error-rate"]["selector"] is None


def test_the_watch_measures_the_colour_serving_after_the_switch(
    policy: Policy,
    colours: str,
    store,  # type: ignore[no-untyped-def]
) -> None:
    # Promoted: GOOD serves; the old colour (BAD) still runs during scale-down and is not read.
    promoted = cluster(paused=False, active=GOOD, preview=None)
    assert watched_scope(policy, "prod", promoted.state, None).colour == "active"
    paused = cluster(paused=True, active=GOOD, preview=BAD).state
    assert watched_scope(policy, "prod", paused, None).selector == PREVIEW
    outcome = watch(
        policy,
        "prod",
        metrics=PrometheusMetrics(colours),
        cluster=promoted,
        store=store,
        **_one_evaluation(),
    )
    assert outcome.status == "passed" and promoted.calls == []
    assert outcome.last_report is not None
    measured = {s.selector for s in outcome.last_report.signals if s.kind != "migration"}
    assert measured == {NOT_PREVIEW}
    # the same watch of BAD as the serving colour rolls back
    failing = cluster(paused=False, active=BAD, preview=None)
    failing.state = replace(failing.state, stable=OLD)
    rolled = watch(
        policy,
        "prod",
        metrics=PrometheusMetrics(colours),
        cluster=failing,
        store=store,
        **_one_evaluation(),
    )
    assert rolled.status == "rolled_back" and failing.calls == ["undo"]


def _one_evaluation() -> dict[str, object]:
    clock = Clock(T)
    return {
        "duration": timedelta(seconds=1),
        "interval": timedelta(seconds=30),
        "clock": clock,
        "sleep": clock.sleep,
    }


def test_rollout_state_carries_both_hashes() -> None:
    fields = RolloutState.__dataclass_fields__
    assert fields["active_hash"].default is None and fields["preview_hash"].default is None
