"""Golden-signal charts as PNG: from a gate's evidence points, or queried at cut and promotion.

matplotlib (Agg, no display) is imported on first use: it costs most of a second.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Line:
    label: str
    points: tuple[tuple[float, float], ...]  # (unix seconds, value)


@dataclass(frozen=True)
class Panel:
    title: str
    lines: tuple[Line, ...]
    threshold: float | None = None
    marker: float | None = None  # unix seconds of the moment the chart is about


def points_of(raw: object) -> tuple[tuple[float, float], ...]:
    """Gate evidence `points: [[t, v], ...]` with t in unix seconds or RFC 3339, v a number,
    None or "nan" (a gap). Malformed pairs are dropped."""
    if not isinstance(raw, list):
        return ()
    out: list[tuple[float, float]] = []
    for pair in raw:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            t, v = _time(pair[0]), _number(pair[1])
            if t is not None:
                out.append((t, v))
    return tuple(out)


def _time(raw: object) -> float | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return None


def _number(raw: object) -> float:
    try:
        return float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def render(title: str, panels: Sequence[Panel]) -> bytes:
    """One PNG with a panel per signal, stacked, sharing the time axis."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(
        len(panels), 1, figsize=(9, 2.4 * len(panels) + 0.6), squeeze=False, sharex=True
    )
    try:
        figure.suptitle(title)
        for axis, panel in zip(axes[:, 0], panels, strict=True):
            _draw(axis, panel)
        axes[-1, 0].set_xlabel("time (UTC)")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _draw(axis: object, panel: Panel) -> None:
    from matplotlib.axes import Axes

    assert isinstance(axis, Axes)
    axis.xaxis_date(tz=UTC)
    axis.set_title(panel.title, fontsize=9, loc="left")
    for line in panel.lines:
        times = [_days(t) for t, _ in line.points]
        values = [v if math.isfinite(v) else math.nan for _, v in line.points]
        axis.plot(times, values, label=line.label, linewidth=1.2)
    if panel.threshold is not None:
        axis.axhline(
            panel.threshold, color="tab:red", linestyle="--", linewidth=1, label="threshold"
        )
    if panel.marker is not None:
        axis.axvline(_days(panel.marker), color="grey", linewidth=1)
    if not any(line.points for line in panel.lines):
        axis.text(0.5, 0.5, "no data", transform=axis.transAxes, ha="center", va="center")
    axis.grid(alpha=0.3)
    if panel.lines or panel.threshold is not None:
        axis.legend(fontsize=7, loc="upper left")


def _days(unix_seconds: float) -> float:
    # matplotlib's date axis counts days since its epoch, 1970-01-01 unless reconfigured.
    return unix_seconds / 86400.0
