"""Filling a signal's PromQL template: `$service`, `$namespace`, `$window` and `$rate_interval`,
for one `Scope` (a service, and optionally one colour of it).

Durations are written the way PromQL reads them (`5m`, `1h30m`, `5s`), so windows scaled to
seconds for a local demo work exactly like minute windows in production."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from trainmaster.config.durations import format_duration
from trainmaster.errors import PolicyError

_NAMES = "service|namespace|window|rate_interval"
_VARIABLE = re.compile(rf"\$({_NAMES})\b|\$\{{({_NAMES})\}}")


@dataclass(frozen=True)
class Scope:
    """What a signal measures: one service in a namespace and, for a blue-green verification,
    one colour of it. `selector` holds the label matchers (from the policy's `metrics.pods`
    template) every series selector of the query gets; empty: the whole service."""

    service: str
    namespace: str
    colour: str | None = None  # "preview" | "active": the colour `selector` picks
    selector: str = ""


def fill(
    template: str,
    scope: Scope,
    window: timedelta | None,
    *,
    signal: str,
    rate: timedelta | None = None,
) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "window":
            if window is None:
                raise PolicyError(
                    f"signals.{signal}: the query uses $window but the signal has none"
                )
            return format_duration(window)
        if name == "rate_interval":
            assert rate is not None  # plan_query always gives it
            return format_duration(rate)
        return str(getattr(scope, name))

    return _VARIABLE.sub(value, template)
