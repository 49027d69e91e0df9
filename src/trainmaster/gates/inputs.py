"""Gate inputs besides metrics: k6 and Locust load results, JUnit smoke results, migration
results, CI and preview outcomes. Parsers read text (the CLI reads the files) and raise a
UsageError naming the file on malformed input: a file that cannot be read is never a pass.

The files come from test runs anyone can shape, so JSON is read within bounds checked before or
while parsing: size, nesting depth, number length and range (`1e999`, `NaN` and `Infinity` are
refused; Python's json would accept them as infinities)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from trainmaster.errors import UsageError


@dataclass(frozen=True)
class InputResult:
    """One external result. `ok` None means it ran but proved nothing (no tests, no thresholds)."""

    source: str
    ok: bool | None
    summary: str
    failures: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadLimits:
    """What a Locust run is held to (Locust has no thresholds of its own): the policy's error
    rate and p95 latency thresholds, when the policy has them."""

    max_error_ratio: float | None = None
    max_p95_seconds: float | None = None


@dataclass(frozen=True)
class GateInputs:
    ci_checks: InputResult | None = None
    preview_deploy: InputResult | None = None
    smoke: InputResult | None = None
    load: InputResult | None = None
    migrations: InputResult | None = None

    def for_gate(self, gate: str) -> InputResult | None:
        return {
            "ci-checks": self.ci_checks,
            "preview-deploy": self.preview_deploy,
            "smoke": self.smoke,
            "load": self.load,
            "migrations": self.migrations,
        }.get(gate)


MAX_JSON_BYTES = 20_000_000  # a Locust stats file with full histograms is a few megabytes
MAX_JSON_DEPTH = 64  # a k6 summary nests 4 deep
MAX_NUMBER_CHARS = 40  # a double needs 24 characters, a 64-bit count 20


class _Refused(ValueError):
    """A JSON value over a limit, raised from the decoder's hooks."""


def _json(text: str, source: str) -> Any:
    if len(text) > MAX_JSON_BYTES:
        raise UsageError(f"{source}: larger than {MAX_JSON_BYTES} bytes; not read")
    try:
        data = json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant)
    except json.JSONDecodeError as e:
        raise UsageError(f"{source}: not valid JSON (line {e.lineno}: {e.msg})") from e
    except _Refused as e:
        raise UsageError(f"{source}: {e}") from e
    except RecursionError as e:  # the decoder's own guard stops a 100,000-deep array at once
        raise UsageError(f"{source}: values nested deeper than {MAX_JSON_DEPTH} levels") from e
    except ValueError as e:  # the boundary: whatever else the decoder meets
        raise UsageError(f"{source}: not valid JSON ({type(e).__name__})") from e
    if _depth(data) > MAX_JSON_DEPTH:
        raise UsageError(f"{source}: values nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _depth(data: Any) -> int:
    """The deepest nesting of arrays and objects, walked with a stack (no recursion)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if math.isinf(value):
        raise _Refused(f"number out of range: {text!r}")
    return value


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _constant(text: str) -> float:
    raise _Refused(f"{text!r} is not JSON")


def parse_k6(text: str, source: str = "k6 summary") -> InputResult:
    """k6 `--summary-export` (thresholds map to true when the threshold FAILED) or a
    `handleSummary` JSON (thresholds map to {"ok": bool})."""
    data = _json(text, source)
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict):
        raise UsageError(f"{source}: not a k6 summary (no 'metrics' object)")
    checked, failed = 0, []
    for metric, body in metrics.items():
        thresholds = body.get("thresholds", {}) if isinstance(body, dict) else None
        if not isinstance(thresholds, dict):
            raise UsageError(f"{source}: metrics.{metric}.thresholds is not an object")
        for expr, state in thresholds.items():
            checked += 1
            if _k6_failed(state, f"{source}: metrics.{metric}.thresholds[{expr!r}]"):
                failed.append(f"{metric}: {expr}")
    if not checked:
        return InputResult(source, None, "the k6 run defines no thresholds")
    if failed:
        return InputResult(
            source, False, f"{len(failed)} of {checked} k6 thresholds failed", tuple(failed)
        )
    return InputResult(source, True, f"all {checked} k6 thresholds held")


def _k6_failed(state: Any, where: str) -> bool:
    if isinstance(state, bool):
        return state  # --summary-export: true means the threshold failed
    if isinstance(state, dict) and isinstance(state.get("ok"), bool):
        return not state["ok"]  # handleSummary: ok false means it failed
    raise UsageError(f'{where}: expected true/false or {{"ok": true/false}}')


def parse_locust(text: str, limits: LoadLimits, source: str = "Locust stats") -> InputResult:
    """Locust `--json` stats (a list of per-endpoint entries) against the policy's limits."""
    data = _json(text, source)
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise UsageError(f"{source}: not Locust --json output (expected a list of stats entries)")
    try:
        requests = sum(_count(e["num_requests"]) for e in data)
        failures = sum(_count(e["num_failures"]) for e in data)
        histogram: dict[float, int] = {}
        for entry in data:
            for ms, count in entry.get("response_times", {}).items():
                histogram[float(ms)] = histogram.get(float(ms), 0) + _count(count)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise UsageError(f"{source}: malformed Locust stats entry ({e})") from e
    if requests == 0:
        return InputResult(source, None, "the Locust run made no requests")
    ratio = failures / requests
    p95 = _percentile(histogram, 0.95) / 1000 if histogram else math.nan
    broken = []
    if limits.max_error_ratio is not None and ratio > limits.max_error_ratio:
        broken.append(f"failure ratio {ratio:.2%} > {limits.max_error_ratio:.2%}")
    if limits.max_p95_seconds is not None and p95 > limits.max_p95_seconds:
        broken.append(f"p95 {p95:.3f}s > {limits.max_p95_seconds:g}s")
    if limits.max_error_ratio is None and limits.max_p95_seconds is None:
        return InputResult(source, None, "no error-rate or p95 threshold to hold Locust to")
    summary = f"{requests} requests, failure ratio {ratio:.2%}, p95 {p95:.3f}s"
    return InputResult(source, not broken, summary, tuple(broken))


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return int(value)


def _percentile(histogram: dict[float, int], q: float) -> float:
    total = sum(histogram.values())
    rank, seen = q * total, 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= rank:
            return ms
    return max(histogram)


def parse_migrations(text: str, source: str = "migrations result") -> InputResult:
    """`{"breaches": [...]}` (any entry is a breach), optionally with `"ok": bool`."""
    data = _json(text, source)
    if not isinstance(data, dict) or not isinstance(data.get("breaches", []), list):
        raise UsageError(f"{source}: expected an object with a 'breaches' list")
    breaches = tuple(
        str(b) if not isinstance(b, dict) else json.dumps(b) for b in data.get("breaches", [])
    )
    ok = data.get("ok")
    if ok is not None and not isinstance(ok, bool):
        raise UsageError(f"{source}: 'ok' must be true or false")
    if breaches or ok is False:
        return InputResult(source, False, f"{len(breaches)} migration gate breach(es)", breaches)
    return InputResult(source, True, "no migration gate breach")


def check_outcome(name: str, ok: bool | None, summary: str = "") -> InputResult:
    """CI checks or the preview deploy, as reported by the forge (None: still pending)."""
    default = {True: "succeeded", False: "failed", None: "pending"}[ok]
    return InputResult(name, ok, summary or default)
