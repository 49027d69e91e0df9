"""The demo's policy: the seed plan with its durations scaled from minutes to seconds.

Only policy values change — the engine has no demo switches. A minute of the seed is roughly a
second here (p95 over 1.5 s for 4 s instead of 5 min, error rate over 4 s instead of 5 min,
saturation for 6 s instead of 10 min, burn rate over 60 s and 10 s instead of 1 h and 10 min), a
little shorter where the 90-second budget of the whole demo needs it. Thresholds are the seed's.
"""

from __future__ import annotations

import sys

_POLICY = """\
# The demo's release train: the seed plan, durations scaled from minutes to seconds.
version: 1
project:
  name: maestro
  owner: release-captain
  pager: "#maestro-oncall"
repos:
  - demo/maestro
train:
  cadence:
    cron: "0 18 * * 4"
    timezone: UTC
  versioning:
    scheme: semver
    initial: 0.1.0
  default_branch: main
  release_branch: "release/{version}"
  tag: "v{version}"
  artifact: "registry.local/demo/maestro"
stages:
  stage:
    namespace: maestro-staging
    service: maestro
    strategy: blue-green
    auto_promotion: true
    scale_down_delay: 5s
    gates: [smoke, load, p95-latency, burn-rate, error-rate, saturation, migrations]
    approval:
      quorum: 1
      reason_required: true
  prod:
    namespace: maestro
    service: maestro
    strategy: blue-green
    auto_promotion: false
    scale_down_delay: 60s          # the old colour stays warm for the whole watch
    gates: [smoke, load, p95-latency, burn-rate, error-rate, saturation, migrations]
    approval:
      quorum: 2
      distinct: true
      exclude_author: true
      exclude_promoter: true
      reason_required: true
      wait: 3s
    watch:
      for: 15s
      interval: 1s
signals:
  p95-latency:
    kind: sustained
    description: p95 latency > 1.5s for 4 consecutive seconds (seed - 5 minutes)
    query: >-
      histogram_quantile(0.95, sum by (le)
      (rate(http_request_duration_seconds_bucket{job="$service"}[2s])))
    threshold: 1.5
    for: 4s
    step: 1s
  burn-rate:
    kind: burn_rate
    description: SLO burn rate > 2x over both 10s and 60s (seed - 10m and 1h)
    errors_query: sum(rate(http_requests_total{job="$service",code=~"5.."}[$window]))
    total_query: sum(rate(http_requests_total{job="$service"}[$window]))
    slo: 0.999
    windows:
      - {long: 60s, short: 10s, factor: 2}
  error-rate:
    kind: window
    description: Error rate > 2% over 4 seconds (seed - 5 minutes)
    query: >-
      sum(rate(http_requests_total{job="$service",code=~"5.."}[$window]))
      / sum(rate(http_requests_total{job="$service"}[$window]))
    threshold: 0.02
    window: 4s
  saturation:
    kind: sustained
    description: Saturation > 80% sustained 6 seconds (seed - 10 minutes)
    query: max(app_saturation_ratio{job="$service"})
    threshold: 0.8
    for: 6s
    step: 1s
  migrations:
    kind: migration
    description: Any migration gate breach
    no_data: pass
metrics:
  scrape_interval: 500ms
roles:
  release-captain:
    title: Release Captain
    members: [release-captain]
    may: [train.cut, promote, rollback, evidence.build, rollout.deploy, rollout.promote]
  approvers:
    title: Deployment Engineer
    members: [alice, bob]
    may: [approve]
  watch:
    title: Post-promotion watch
    members: [trainmaster-watch]
    may: [rollback]
evidence:
  dir: evidence
store:
  url: sqlite:///.trainmaster/state.db
backends:
  forge: none
  cluster: local
  metrics: scrape
  local:
    command: "PYTHON app.py --port {port} --release {version}"
    health_path: /healthz
    metrics_path: /metrics
"""


def demo_policy_text(python: str | None = None) -> str:
    """The demo policy; the local target runs the service with this interpreter."""
    return _POLICY.replace("PYTHON", python or sys.executable)
