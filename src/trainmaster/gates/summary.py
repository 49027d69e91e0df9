"""The step summary of a gate report: a Markdown table for the GitHub Actions job page."""

from __future__ import annotations

from trainmaster.gates.result import GateReport, iso


def summary_markdown(report: GateReport) -> str:
    icon = {"pass": "✅", "fail": "❌", "inconclusive": "⚠️"}
    lines = [
        f"### Gates for {report.stage}: {icon[report.verdict.value]} {report.verdict.value}",
        "",
        "| gate | verdict | value | threshold | window | breach since | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in report.signals:
        value = "" if s.value is None else f"{s.value:.4g}"
        threshold = "" if s.threshold is None else f"{s.comparison} {s.threshold:g}"
        reason = s.reason.replace("|", "\\|")
        lines.append(
            f"| {s.name} | {icon[s.verdict.value]} {s.verdict.value} | {value} | {threshold} "
            f"| {s.window or ''} | {iso(s.breach_started_at) or ''} | {reason} |"
        )
    return "\n".join(lines)
