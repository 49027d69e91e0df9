"""A real Prometheus for the gate tests: data written as OpenMetrics, backfilled with
`promtool tsdb create-blocks-from openmetrics`, then served by the Debian `prometheus` binary on a
free 127.0.0.1 port.

`Samples` collects (series, timestamp, value) and renders the OpenMetrics text promtool reads:
timestamps in seconds, counters declared without `_total`, the file ends with `# EOF`.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.servers import free_port, wait_for_port

_TYPES = {"counter", "gauge", "histogram"}


def _label_text(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    body = ",".join(
        f'{k}="{v}"'.replace("\\", "\\\\").replace("\n", "\\n") for k, v in sorted(labels.items())
    )
    return "{" + body + "}"


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


@dataclass
class Samples:
    """Metric families and their samples, in the order OpenMetrics wants them."""

    families: dict[str, str] = field(default_factory=dict)  # family name -> type
    lines: dict[str, list[tuple[str, float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(
        self, family: str, kind: str, sample: str, labels: Mapping[str, str], t: float, v: float
    ) -> None:
        assert kind in _TYPES, kind
        self.families.setdefault(family, kind)
        self.lines[family].append((sample + _label_text(labels), t, v))

    def counter(self, name: str, labels: Mapping[str, str], t: float, v: float) -> None:
        family = name.removesuffix("_total")
        self.add(family, "counter", family + "_total", labels, t, v)

    def gauge(self, name: str, labels: Mapping[str, str], t: float, v: float) -> None:
        self.add(name, "gauge", name, labels, t, v)

    def histogram(
        self,
        name: str,
        labels: Mapping[str, str],
        t: float,
        buckets: Mapping[float, float],
        total: float,
    ) -> None:
        """Cumulative bucket counts by upper bound (without +Inf) and the total count."""
        for le, count in sorted(buckets.items()):
            self.add(name, "histogram", name + "_bucket", {**labels, "le": _number(le)}, t, count)
        self.add(name, "histogram", name + "_bucket", {**labels, "le": "+Inf"}, t, total)
        self.add(name, "histogram", name + "_count", labels, t, total)
        self.add(name, "histogram", name + "_sum", labels, t, 0.0)

    def openmetrics(self) -> str:
        out: list[str] = []
        for family, kind in self.families.items():
            out.append(f"# TYPE {family} {kind}")
            # promtool wants each series' samples together and in time order.
            by_series: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for series, t, v in self.lines[family]:
                by_series[series].append((t, v))
            for series, points in by_series.items():
                for t, v in sorted(points):
                    out.append(f"{series} {_number(v)} {t:.3f}")
        out.append("# EOF")
        return "\n".join(out) + "\n"


@contextlib.contextmanager
def prometheus_with(data: Samples | str) -> Iterator[str]:
    """Backfill `data` and yield the base URL of a real Prometheus serving it."""
    base = Path(tempfile.mkdtemp(prefix="tm-prom-"))
    text = data if isinstance(data, str) else data.openmetrics()
    (base / "data.om").write_text(text, encoding="utf-8")
    (base / "empty.yml").write_text("\n", encoding="utf-8")
    tsdb = base / "tsdb"
    tsdb.mkdir()
    if text.strip() != "# EOF":
        subprocess.run(
            [
                _binary("promtool"),
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                str(base / "data.om"),
                str(tsdb),
            ],
            check=True,
            capture_output=True,
        )
    port = free_port()
    log = (base / "log").open("wb")
    process = subprocess.Popen(
        [
            _binary("prometheus"),
            "--storage.tsdb.path",
            str(tsdb),
            "--storage.tsdb.retention.time",
            "100y",
            "--web.listen-address",
            f"127.0.0.1:{port}",
            "--config.file",
            str(base / "empty.yml"),
            "--web.enable-remote-write-receiver",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port)
        _wait_ready(url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(base, ignore_errors=True)


def _wait_ready(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    return
            time.sleep(0.02)
    raise TimeoutError(f"Prometheus at {url} never became ready")


def _binary(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed (make test installs the Debian package)")
    return found
