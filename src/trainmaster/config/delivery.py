"""Policy sections about delivery: the train's calendar and versions, the stages a release walks,
their gates, approvals and post-promotion watch, and the golden signals gates evaluate."""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from trainmaster.config.base import Strict
from trainmaster.config.types import Duration

# --- Train -----------------------------------------------------------------------------------


class Cadence(Strict):
    cron: str = Field("0 18 * * 4", description="Five-field cron; the seed's train is Thu 18:00.")
    timezone: str = Field("UTC", description="IANA time zone the cron is read in.")

    @model_validator(mode="after")
    def _fires(self) -> Cadence:
        from trainmaster.config.calendar import check_cron

        check_cron(self.cron, self.timezone)
        return self


class FreezeWindow(Strict):
    name: str
    reason: str = Field(min_length=1)
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to", description="Inclusive last day.")
    rrule: str | None = Field(None, description="RFC 5545 RRULE for recurring freezes.")
    duration: Duration | None = Field(None, description="Length of each recurring freeze.")

    @model_validator(mode="after")
    def _shape(self) -> FreezeWindow:
        if self.rrule:
            if self.duration is None:
                raise ValueError("a recurring freeze (rrule) needs a duration")
            from trainmaster.config.calendar import check_rrule

            check_rrule(self.rrule)
        elif self.start is None or self.end is None:
            raise ValueError("a freeze window needs from/to dates or an rrule with a duration")
        elif self.end < self.start:
            raise ValueError("a freeze window ends before it starts")
        return self


class VersionScheme(StrEnum):
    SEMVER = "semver"
    CALVER = "calver"


class Versioning(Strict):
    scheme: VersionScheme = VersionScheme.SEMVER
    calver_format: str = Field("YYYY.0M.MICRO", description="Used when scheme is calver.")
    initial: str = Field("0.1.0", description="First version when no release tag exists.")


class Hotfix(Strict):
    enabled: bool = True
    branch: str = Field("hotfix/{version}", description="Branch pattern for a hotfix.")
    gates: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per stage, the gates a hotfix keeps; a stage not listed keeps all.",
    )
    approvals: int | None = Field(1, ge=0, description="Quorum override for hotfixes.")


class Train(Strict):
    cadence: Cadence = Field(default_factory=Cadence)
    freeze: list[FreezeWindow] = Field(default_factory=list)
    skip: list[date] = Field(default_factory=list, description="Dates with no scheduled cut.")
    hotfix: Hotfix = Field(default_factory=Hotfix)
    versioning: Versioning = Field(default_factory=Versioning)
    default_branch: str = "main"
    release_branch: str = Field("release/{version}", description="Branch cut for each train.")
    tag: str = Field("v{version}", description="Annotated tag for each release.")
    artifact: str = Field(
        "ghcr.io/{owner}/{repo}", description="Image repository; releases are pinned by digest."
    )

    @field_validator("release_branch", "tag")
    @classmethod
    def _has_version(cls, value: str) -> str:
        if "{version}" not in value:
            raise ValueError("the pattern must contain {version}")
        return value


# --- Stages, gates and approvals --------------------------------------------------------------

BUILTIN_GATES = frozenset({"ci-checks", "preview-deploy", "smoke", "load", "migrations"})


class Approval(Strict):
    quorum: int = Field(0, ge=0, le=10, description="Distinct approvers needed.")
    distinct: bool = True
    exclude_author: bool = True
    exclude_promoter: bool = True
    reason_required: bool = True
    wait: Duration = Field(timedelta(0), description="Minimum time after the gates passed.")
    roles: list[str] = Field(default_factory=list, description="Roles allowed to approve.")


class Watch(Strict):
    duration: Duration = Field(timedelta(minutes=30), alias="for")
    interval: Duration = timedelta(seconds=30)


class Stage(Strict):
    namespace: str
    service: str = "maestro"
    container: str | None = Field(
        None,
        description="Argo Rollouts: the container whose image is the release (a sidecar may be "
        "listed first); default: the only container, else the one named after the rollout.",
    )
    strategy: Literal["none", "blue-green", "canary"] = "none"
    auto_promotion: bool = False
    scale_down_delay: Duration = Field(
        timedelta(seconds=30), description="How long the old colour lives after a switch."
    )
    ttl: Duration | None = Field(None, description="Preview environments expire after this.")
    gates: list[str] = Field(default_factory=list)
    approval: Approval = Field(default_factory=Approval)
    watch: Watch | None = None


class NoData(StrEnum):
    INCONCLUSIVE = "inconclusive"
    FAIL = "fail"
    PASS = "pass"


class SignalKind(StrEnum):
    SUSTAINED = "sustained"  # every point of the last `for` over the threshold
    WINDOW = "window"  # one value over the window (a ratio of rates)
    BURN_RATE = "burn_rate"  # error ratio / (1 - SLO) over long and short windows
    MIGRATION = "migration"  # any breach reported by the migration gate


class BurnWindow(Strict):
    long: Duration
    short: Duration
    factor: float = Field(gt=0)


class Signal(Strict):
    kind: SignalKind
    description: str = ""
    query: str | None = Field(None, description="PromQL; $service, $namespace, $window filled in.")
    errors_query: str | None = Field(None, description="Burn rate: errors over $window.")
    total_query: str | None = Field(None, description="Burn rate: requests over $window.")
    threshold: float | None = None
    comparison: Literal[">", ">=", "<", "<="] = ">"
    duration: Duration | None = Field(None, alias="for", description="Sustained period.")
    window: Duration | None = None
    step: Duration = Field(timedelta(seconds=30), description="Resolution of range queries.")
    slo: float | None = Field(None, gt=0, lt=1, description="Burn rate: the SLO target.")
    windows: list[BurnWindow] = Field(default_factory=list)
    preset: Literal["sre-workbook"] | None = Field(
        None, description="Burn rate: the Google SRE workbook's multi-window table."
    )
    no_data: NoData = NoData.INCONCLUSIVE

    @model_validator(mode="after")
    def _complete(self) -> Signal:
        needs: dict[SignalKind, tuple[str, ...]] = {
            SignalKind.SUSTAINED: ("query", "threshold", "duration"),
            SignalKind.WINDOW: ("query", "threshold", "window"),
            SignalKind.BURN_RATE: ("errors_query", "total_query", "slo"),
            SignalKind.MIGRATION: (),
        }
        missing = [f for f in needs[self.kind] if getattr(self, f) is None]
        if missing:
            names = ", ".join("for" if f == "duration" else f for f in missing)
            raise ValueError(f"a {self.kind.value} signal needs {names}")
        if self.kind is SignalKind.BURN_RATE and not (self.windows or self.preset):
            raise ValueError("a burn_rate signal needs windows or a preset")
        return self


# --- How the services' series look in Prometheus ---------------------------------------------

# A matcher list as PromQL writes it inside braces: `pod=~"x-.*"`, `a="b", c!="d"`.
_MATCHER = r'\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)\s*"[^"]*"\s*'
_MATCHERS = re.compile(rf"^{_MATCHER}(?:,{_MATCHER})*$")
# A range or subquery range in PromQL text: `[5m]`, `[1h:30s]`.
_RANGE = re.compile(r"\[\s*([^\]:\s]+)\s*(?::[^\]]*)?\]")
RATE_INTERVALS = 4  # samples a rate() needs to be reliable: a missed scrape still leaves two


class MetricsSettings(Strict):
    """How Prometheus (or the embedded scraper) sees the services."""

    scrape_interval: Duration = Field(
        timedelta(seconds=15),
        description="How often the services are scraped. Every range in a signal's query must "
        "span at least 4 of these, or rate() has too few samples (none at all when the range is "
        "shorter than two scrapes). $rate_interval in a query is max(step + scrape_interval, "
        "4 x scrape_interval), as Grafana's $__rate_interval.",
    )
    pods: str = Field(
        'pod=~"{name}-{hash}-.*"',
        description="Label matchers selecting one colour's series: {name} is the rollout, {hash} "
        "its rollouts-pod-template-hash. The default fits kube-prometheus relabelling, where an "
        "Argo Rollouts pod is named <rollout>-<pod-template-hash>-<suffix>.",
    )

    @field_validator("scrape_interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("the scrape interval must be longer than zero")
        return value

    @field_validator("pods")
    @classmethod
    def _matchers(cls, value: str) -> str:
        if "{hash}" not in value:
            raise ValueError("the pod label template must contain {hash}")
        sample = value.replace("{name}", "maestro").replace("{hash}", "5d8f7c9b4")
        if not _MATCHERS.match(sample):
            raise ValueError('not a PromQL matcher list, like pod=~"{name}-{hash}-.*"')
        return value


def rate_interval(scrape: timedelta, step: timedelta) -> timedelta:
    """The range `$rate_interval` stands for: long enough for four scrapes, and for two
    consecutive evaluation steps to share a scrape."""
    return max(step + scrape, RATE_INTERVALS * scrape)


def short_ranges(signal: Signal, scrape: timedelta) -> list[tuple[str, str]]:
    """(field, range text) of every range in the signal's queries under 4 scrape intervals."""
    windows = [signal.window] if signal.window else []
    windows += [w for row in signal.windows for w in (row.long, row.short)]
    values = {
        "window": [_promql_duration(w) for w in windows] or ["5m"],
        "rate_interval": [_promql_duration(rate_interval(scrape, signal.step))],
    }
    found = []
    for field in ("query", "errors_query", "total_query"):
        text = getattr(signal, field)
        for filled in _fills(text or "", values):
            for match in _RANGE.finditer(filled):
                if _seconds(match.group(1)) < RATE_INTERVALS * scrape.total_seconds():
                    found.append((field, match.group(0)))
    return list(dict.fromkeys(found))


def _fills(text: str, values: dict[str, list[str]]) -> list[str]:
    out = []
    for window in values["window"]:
        filled = re.sub(r"\$\{?window\}?", window, text)
        out.append(re.sub(r"\$\{?rate_interval\}?", values["rate_interval"][0], filled))
    return out


def _promql_duration(value: timedelta) -> str:
    from trainmaster.config.durations import format_duration

    return format_duration(value)


def _seconds(text: str) -> float:
    from trainmaster.config.durations import parse_duration

    try:
        return parse_duration(text).total_seconds()
    except ValueError:
        return float("inf")  # not a duration: Prometheus will say so when it parses the query
