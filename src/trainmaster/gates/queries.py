"""Filling a signal's PromQL template: `$service`, `$namespace` and `$window`.

Durations are written the way PromQL reads them (`5m`, `1h30m`, `5s`), so windows scaled to
seconds for a local demo work exactly like minute windows in production."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from trainmaster.config.durations import format_duration
from trainmaster.errors import PolicyError

_VARIABLE = re.compile(r"\$(service|namespace|window)\b|\$\{(service|namespace|window)\}")


@dataclass(frozen=True)
class Variables:
    service: str
    namespace: str


def fill(template: str, variables: Variables, window: timedelta | None, *, signal: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "window":
            if window is None:
                raise PolicyError(
                    f"signals.{signal}: the query uses $window but the signal has none"
                )
            return format_duration(window)
        return str(getattr(variables, name))

    return _VARIABLE.sub(value, template)
