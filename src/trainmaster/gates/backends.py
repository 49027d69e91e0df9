"""Choosing the metrics backend: Prometheus's HTTP API, or the embedded scraper of the local
target. Adapters are imported here, lazily, so the pure gate modules never see them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trainmaster.config.model import Policy
from trainmaster.errors import UsageError
from trainmaster.gates.port import Metrics
from trainmaster.rollout.port import Target

DEFAULT_SCRAPE_INTERVAL = 1.0  # seconds; the demo scales windows down to seconds


def metrics_for(
    policy: Policy,
    *,
    prometheus_url: str | None = None,
    scrape_urls: Callable[[], list[str]] | None = None,
    scrape_interval: float | None = None,
    job: str | None = None,
    base_dir: Path | None = None,
) -> Metrics:
    """The policy's metrics backend; an explicit `prometheus_url` always means Prometheus.

    On the local cluster, a running supervisor (`trainmaster local serve`) for `base_dir` is the
    metrics backend: it scrapes every colour and keeps the history. Otherwise the scrape backend
    polls, in this process, the URLs `scrape_urls()` returns (asked again at every scrape, so a
    blue/green switch is followed) and labels samples with `job` (default: the stages' service).
    Without `scrape_urls`, a policy on the local cluster scrapes every stage's local target in
    this process (`base_dir` as for `cluster_for`). Call `.close()` on the scrape backend to stop
    its poller."""
    if prometheus_url or policy.backends.metrics == "prometheus":
        from trainmaster.adapters.prometheus import PrometheusMetrics

        return PrometheusMetrics(prometheus_url or policy.backends.prometheus_url)
    if policy.backends.cluster == "local":
        # issue 13: a running supervisor owns the one scraper and its history; every
        # invocation's gates query it (adapters/local/scraping.py)
        supervised = _supervised(base_dir)
        if supervised is not None:
            return supervised
    if scrape_urls is None and policy.backends.cluster == "local":
        scrape_urls = _local_targets(policy, base_dir)
    if scrape_urls is None:
        raise UsageError(
            "the scrape metrics backend needs the local target's /metrics URLs; "
            "use the local cluster backend, or pass --prometheus URL"
        )
    from trainmaster.adapters.scrape import ScrapeMetrics

    if scrape_interval is None:  # gates-prom hook: the interval the policy states, if it does
        stated = "scrape_interval" in policy.metrics.model_fields_set
        interval = policy.metrics.scrape_interval.total_seconds()
        scrape_interval = interval if stated else DEFAULT_SCRAPE_INTERVAL
    labels = getattr(scrape_urls, "labels", None)  # the local target's pod labels per URL
    source = ScrapeMetrics(
        scrape_urls, job=job or service_name(policy), interval=scrape_interval, labels=labels
    )
    source.start()
    return source


def service_name(policy: Policy) -> str:
    services = {stage.service for stage in policy.stages.values()}
    return services.pop() if len(services) == 1 else policy.project.name


def local_scrape_urls(policy: Policy, cluster: object, target: Target) -> Callable[[], list[str]]:
    """The local target's /metrics URLs — both colours, asked again at every scrape so a
    blue/green switch is followed — each labelled with its colour's pod (`labels(url)`). Empty
    for a cluster that has no local endpoints."""
    if getattr(cluster, "endpoints", None) is None:
        return lambda: []
    return _colour_targets(policy, cluster, [target])


def _supervised(base_dir: Path | None) -> Metrics | None:
    from trainmaster.adapters.local.client import SupervisorMetrics
    from trainmaster.adapters.local.supervisor import running

    info = running((base_dir or Path.cwd()).resolve())
    return SupervisorMetrics(info) if info is not None else None


def _local_targets(policy: Policy, base_dir: Path | None) -> Callable[[], list[str]]:
    from trainmaster.rollout.backends import cluster_for, target_for

    cluster = cluster_for(policy, base_dir=base_dir, shared=True)
    stages = [name for name, spec in policy.stages.items() if "{number}" not in spec.namespace]
    return _colour_targets(policy, cluster, [target_for(policy, name) for name in stages])


def _colour_targets(
    policy: Policy, cluster: object, targets: list[Target]
) -> Callable[[], list[str]]:
    from trainmaster.adapters.local.scraping import ColourTargets

    return ColourTargets(cluster, targets, policy.backends.local.metrics_path)
