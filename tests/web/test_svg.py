"""The server-drawn charts: breach windows per the threshold's comparison, both burn windows
needed for a burn-rate breach, and every label escaped."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from trainmaster.web.svg import Chart, Line, breach_windows, draw

NS = {"s": "http://www.w3.org/2000/svg"}


def chart(*lines: Line, threshold: float = 1.5, comparison: str = ">", both: bool = False) -> Chart:
    return Chart("p95 latency", lines, threshold, comparison, 0.0, 100.0, "s", all_lines=both)


def test_breach_windows_follow_the_comparison() -> None:
    line = Line("p95", ((0, 1.0), (10, 2.0), (20, 2.0), (30, 1.0), (40, 1.5), (50, 3.0)))
    assert breach_windows(chart(line)) == [(10, 30), (50, 50)]
    assert breach_windows(chart(line, comparison=">=")) == [(10, 30), (40, 50)]
    assert breach_windows(chart(line, comparison="<")) == [(0, 10), (30, 40)]
    gap = Line("p95", ((0, 2.0), (10, math.nan), (20, 2.0)))
    assert breach_windows(chart(gap)) == [(0, 10), (20, 20)]  # no data is no breach


def test_a_burn_rate_breaches_only_while_both_windows_burn() -> None:
    long = Line("1h", ((0, 3.0), (10, 3.0), (20, 3.0), (30, 1.0)))
    short = Line("10m", ((0, 1.0), (10, 3.0), (20, 3.0), (30, 3.0)))
    assert breach_windows(chart(long, short, threshold=2.0, both=True)) == [(10, 30)]
    assert breach_windows(chart(long, short, threshold=2.0)) == [(0, 30)]


def test_the_drawing_carries_the_threshold_the_breaches_and_escaped_labels() -> None:
    line = Line("<b>p95</b>", ((0, 1.0), (50, 2.0), (100, 2.0)))
    svg = draw(Chart("<script>x</script>", (line,), 1.5, ">", 0.0, 100.0, "s"))
    assert "<script>" not in svg and "<b>" not in svg
    root = ET.fromstring(svg)
    assert root.get("data-breaches") == "1" and root.get("data-threshold") == "1.5"
    assert len(root.findall("s:rect[@class='breach']", NS)) == 1
    threshold = root.find("s:line[@class='threshold']", NS)
    assert threshold is not None and threshold.get("y1") == threshold.get("y2")
    series = root.findall("s:polyline[@class='series']", NS)
    assert [s.get("data-label") for s in series] == ["<b>p95</b>"]  # escaped, parsed back
    assert root.find("s:title", NS).text == "<script>x</script>"  # type: ignore[union-attr]
