"""The metrics port over Prometheus's HTTP API.

One `query_range` is one HTTP request (POSTed as a form, so long queries never hit URL limits).
Errors map to ours: a query Prometheus rejects (`bad_data`, `execution`) is the policy's fault
(PolicyError); an unreachable server, a timeout or a 5xx is temporary (ExternalError).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, TypedDict

import httpx

from trainmaster.errors import ExternalError, PolicyError
from trainmaster.gates.port import Series

_REJECTED = {"bad_data", "execution"}


class _Matrix(TypedDict):
    metric: dict[str, str]
    values: list[list[Any]]


class PrometheusMetrics:
    """`Metrics` backed by one Prometheus server. `queries` counts the requests sent."""

    # Queries are POSTed as a form, so a fleet's one query per signal may be long (Prometheus
    # bounds the samples a query touches, not its text).
    max_query_chars: int | None = None

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # trust_env=False: the metrics server is addressed directly, never through a proxy.
        # Plain http needs no CA bundle (loading it costs ~50 ms per client).
        verify = self.base_url.startswith("https:")
        self._client = httpx.Client(
            timeout=timeout, transport=transport, trust_env=False, verify=verify
        )
        self.queries = 0

    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        self.queries += 1
        form = {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{step.total_seconds():g}",
        }
        body = self._post("/api/v1/query_range", form)
        data = body.get("data") or {}
        if data.get("resultType") != "matrix":
            raise ExternalError(f"Prometheus answered {data.get('resultType')!r}, not a matrix")
        return [_series(item) for item in data.get("result", [])]

    def close(self) -> None:
        self._client.close()

    def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = self._client.post(url, data=form)
        except httpx.TimeoutException as e:
            raise ExternalError(f"Prometheus at {self.base_url} timed out", temporary=True) from e
        except httpx.HTTPError as e:
            raise ExternalError(
                f"Prometheus at {self.base_url} is unreachable: {type(e).__name__}",
                temporary=True,
            ) from e
        try:
            body: dict[str, Any] = response.json()
        except ValueError as e:
            raise ExternalError(
                f"Prometheus at {self.base_url} answered HTTP {response.status_code} without JSON",
                temporary=response.status_code >= 500,
            ) from e
        if body.get("status") == "success":
            return body
        kind, why = body.get("errorType", ""), body.get("error", "unknown error")
        if kind in _REJECTED:
            raise PolicyError(f"Prometheus rejected the query: {why}")
        raise ExternalError(
            f"Prometheus error ({kind or response.status_code}): {why}", temporary=True
        )


def _series(item: _Matrix) -> Series:
    points = tuple((float(t), _value(v)) for t, v in item.get("values", []))
    return Series(labels=dict(item.get("metric", {})), points=points)


def _value(text: str) -> float:
    value = float(text)  # Prometheus writes NaN, +Inf and -Inf the way float() reads them
    return math.nan if math.isnan(value) else value
