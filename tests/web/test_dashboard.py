"""The golden-signal dashboard on a real Prometheus: prod's p95 and error ratio breach, its
saturation does not; the charts say so in the drawing itself."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient

from tests.web.conftest import sign_in
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.web.settings import Site

NS = {"s": "http://www.w3.org/2000/svg"}


def _charts(html: str) -> dict[str, ET.Element]:
    found = {}
    for figure in html.split('<figure class="panel" data-signal="')[1:]:
        name = figure.split('"', 1)[0]
        svg = figure[figure.index("<svg") : figure.index("</svg>") + 6]
        found[name] = ET.fromstring(svg)
    return found


def test_breaches_are_drawn(client: TestClient, site: Site, breach_prometheus: str) -> None:
    site.metrics = lambda: PrometheusMetrics(breach_prometheus)
    sign_in(client, site, "alice")
    charts = _charts(client.get("/dashboard?stage=prod").text)
    assert set(charts) == {"p95-latency", "error-rate", "saturation", "burn-rate"}
    p95 = charts["p95-latency"]
    assert p95.get("data-threshold") == "1.5" and p95.get("data-breaches") == "1"
    assert p95.findall("s:rect[@class='breach']", NS)
    assert charts["error-rate"].get("data-threshold") == "0.02"
    assert charts["error-rate"].get("data-breaches") == "1"
    assert charts["saturation"].get("data-breaches") == "0"
    burn = charts["burn-rate"]
    assert burn.get("data-threshold") == "2.0"
    assert len(burn.findall("s:polyline[@class='series']", NS)) >= 2  # both windows
    data = client.get("/api/v1/stages/prod/signals").json()
    p95_panel = next(p for p in data["panels"] if p["signal"] == "p95-latency")
    start, end = p95_panel["breaches"][0]
    assert end - start >= 5 * 60  # the 2 s latency started 6 minutes before now


def test_without_a_metrics_backend_the_page_says_so(client: TestClient, site: Site) -> None:
    sign_in(client, site, "alice")
    assert "No metrics backend" in client.get("/dashboard").text
    assert client.get("/api/v1/stages/prod/signals").status_code == 503
