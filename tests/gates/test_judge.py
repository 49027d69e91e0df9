"""The pure verdict functions at their edges (no I/O: series built by hand)."""

from __future__ import annotations

import math

import pytest

from trainmaster.config.model import BurnWindow, NoData
from trainmaster.gates.burn import PART, SRE_WORKBOOK, judge_burn
from trainmaster.gates.judge import Missing, judge_sustained, judge_window
from trainmaster.gates.port import Series
from trainmaster.gates.ratio import ratio_series
from trainmaster.gates.signals import resolve
from trainmaster.gates.verdict import Verdict, combine

END = 1000.0


def series(values: list[float | None], step: float = 30.0, **labels: str) -> Series:
    start = END - (len(values) - 1) * step
    points = tuple((start + i * step, v) for i, v in enumerate(values) if v is not None)
    return Series(labels=labels, points=points)  # type: ignore[arg-type]


def sustained(values: list[float | None], comparison: str = ">") -> object:
    return judge_sustained(
        [series(values)], end=END, step=30, duration=150, threshold=1.5, comparison=comparison
    )


def test_every_point_over_fails_and_one_at_the_threshold_passes() -> None:
    assert sustained([2.0] * 6).verdict is Verdict.FAIL  # type: ignore[attr-defined]
    assert sustained([2.0, 2.0, 1.5, 2.0, 2.0, 2.0]).verdict is Verdict.PASS  # type: ignore[attr-defined]
    assert sustained([2.0, 2.0, 1.5, 2.0, 2.0, 2.0], ">=").verdict is Verdict.FAIL  # type: ignore[attr-defined]


def test_only_the_last_n_points_count() -> None:
    finding = sustained([0.1, 0.1, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    assert finding.verdict is Verdict.FAIL  # type: ignore[attr-defined]
    assert finding.breach_started_at == END - 5 * 30  # type: ignore[attr-defined]


def test_a_hole_among_breaching_points_is_a_gap_never_a_pass() -> None:
    finding = sustained([2.0, 2.0, None, 2.0, 2.0, 2.0])
    assert finding.verdict is None and finding.missing is Missing.GAP  # type: ignore[attr-defined]
    nan = sustained([2.0, 2.0, math.nan, 2.0, 2.0, 2.0])
    assert nan.missing is Missing.GAP  # type: ignore[attr-defined]
    assert resolve(finding, NoData.PASS)[0] is Verdict.INCONCLUSIVE  # type: ignore[arg-type]
    assert resolve(finding, NoData.FAIL)[0] is Verdict.FAIL  # type: ignore[arg-type]


def test_a_calm_point_proves_the_breach_was_not_sustained_despite_holes() -> None:
    assert sustained([2.0, None, 0.2, 2.0, 2.0, 2.0]).verdict is Verdict.PASS  # type: ignore[attr-defined]


def test_stale_data_at_the_end_is_not_a_pass() -> None:
    assert sustained([0.2, 0.2, 0.2, 0.2, 0.2, None]).missing is Missing.GAP  # type: ignore[attr-defined]
    assert sustained([None] * 6).missing is Missing.NO_DATA  # type: ignore[attr-defined]


def test_any_series_breaching_fails_and_pass_reports_the_closest() -> None:
    calm, hot = series([0.2] * 6, pod="a"), series([2.0] * 6, pod="b")
    finding = judge_sustained([calm, hot], end=END, step=30, duration=150, threshold=1.5)
    assert finding.verdict is Verdict.FAIL and finding.labels == {"pod": "b"}
    assert (
        judge_sustained([], end=END, step=30, duration=150, threshold=1.5).missing
        is Missing.NO_DATA
    )


def test_window_nan_is_no_traffic() -> None:
    finding = judge_window([series([0.01, math.nan])], end=END, step=30, threshold=0.02)
    assert finding.verdict is None and "0/0" in finding.reason
    assert (
        judge_window([series([0.01, 0.03])], end=END, step=30, threshold=0.02).verdict
        is Verdict.FAIL
    )


def test_ratio_counts_a_missing_numerator_as_zero_but_0_over_0_as_no_data() -> None:
    den = series([10.0, 0.0], **{"tm_part": "den"})
    (ratio,) = ratio_series([den])
    assert ratio.points[0][1] == 0.0 and math.isnan(ratio.points[1][1])


def _burn_series(window: str, errors: float, total: float) -> list[Series]:
    return [
        Series({PART: f"errors:{window}"}, ((END, errors),)),
        Series({PART: f"total:{window}"}, ((END, total),)),
    ]


def test_burn_needs_both_windows_over_the_factor() -> None:
    row = BurnWindow(long="1h", short="10m", factor=2)  # type: ignore[arg-type]
    both = _burn_series("1h", 0.3, 100) + _burn_series(
        "10m", 0.5, 100
    )  # 3x and 5x of a 0.1 % budget
    assert judge_burn(both, end=END, step=30, slo=0.999, rows=[row]).verdict is Verdict.FAIL
    short_only = _burn_series("1h", 0.1, 100) + _burn_series("10m", 0.5, 100)
    finding = judge_burn(short_only, end=END, step=30, slo=0.999, rows=[row])
    assert finding.verdict is Verdict.PASS and finding.value == pytest.approx(1.0)
    no_errors = [s for s in both if "total" in s.labels[PART]]
    assert judge_burn(no_errors, end=END, step=30, slo=0.999, rows=[row]).value == 0.0
    idle = _burn_series("1h", 0, 0) + _burn_series("10m", 0, 0)
    assert judge_burn(idle, end=END, step=30, slo=0.999, rows=[row]).missing is Missing.NO_DATA


def test_the_sre_workbook_table() -> None:
    assert [
        (w.long.total_seconds() / 3600, w.short.total_seconds() / 60, w.factor)
        for w in SRE_WORKBOOK
    ] == [
        (1, 5, 14.4),
        (6, 30, 6),
        (24, 120, 3),
        (72, 360, 1),
    ]


def test_inconclusive_never_promotes() -> None:
    assert combine([Verdict.PASS, Verdict.INCONCLUSIVE]) is Verdict.INCONCLUSIVE
    assert not Verdict.INCONCLUSIVE.promotes


def test_a_for_that_is_not_whole_steps_fires_at_the_first_evaluation_after_it() -> None:
    # A `for: 100s` alert evaluated every 30 s that went pending at END-120 has been active for
    # 120 s >= 100 s at END and fires; pending since END-90 it has 90 s < 100 s and does not.
    from trainmaster.config.model import Signal
    from trainmaster.gates.signals import judge

    signal = Signal.model_validate(
        {"kind": "sustained", "query": "x", "threshold": 1.5, "for": "100s", "step": "30s"}
    )
    assert judge(signal, [series([0.1, 2.0, 2.0, 2.0, 2.0, 2.0])], END).verdict is Verdict.FAIL
    assert judge(signal, [series([0.1, 0.1, 2.0, 2.0, 2.0, 2.0])], END).verdict is Verdict.PASS


# --- the findings in full (pinned by `make mutate MODULE=judge`) ---


def judged(values: list[float | None], duration: float = 150, comparison: str = ">"):  # type: ignore[no-untyped-def]
    return judge_sustained(
        [series(values, pod="a")],
        end=END,
        step=30,
        duration=duration,
        threshold=1.5,
        comparison=comparison,
    )


def test_each_sustained_finding_says_why_with_its_points_and_latest_value() -> None:
    hot = judged([2.0] * 6)
    assert (hot.reason, hot.value, hot.breach_started_at) == ("all 6 points breach", 2.0, 850.0)
    assert hot.points == tuple((850.0 + 30 * k, 2.0) for k in range(6))
    assert hot.labels == {"pod": "a"}
    calm = judged([2.0, 2.0, 1.0, 2.0, 2.0, 2.5])
    assert (calm.verdict, calm.reason, calm.value) == (
        Verdict.PASS,
        "1 of 6 points within the threshold",
        2.5,
    )
    assert calm.breach_started_at == 940.0
    gap = judged([2.0, None, 2.0, 2.0, 2.0, 2.0])
    assert gap.reason == "1 of 6 points missing; every present point breaches"
    assert gap.points[1][0] == 880.0 and math.isnan(gap.points[1][1])
    assert judged([None] * 6).reason == "no data in the window"
    stale = judged([0.2] * 5 + [None])
    assert (stale.reason, stale.value) == ("no data at the end of the window", None)


def test_a_zero_for_judges_the_last_point_alone() -> None:
    assert judged([0.1] * 5 + [2.0], duration=0).verdict is Verdict.FAIL
    assert len(judged([0.1] * 5 + [2.0], duration=0).points) == 1


def test_across_series_fail_then_gap_then_no_data_then_the_closest_pass() -> None:
    def across(*many: Series, comparison: str = ">"):  # type: ignore[no-untyped-def]
        return judge_sustained(
            list(many), end=END, step=30, duration=60, threshold=1.5, comparison=comparison
        )

    longer = series([2.0] * 6, pod="long")
    shorter = series([0.1, 0.1, 0.1, 2.0, 2.0, 2.0], pod="short")
    assert across(shorter, longer).labels == {"pod": "long"}  # breaching since earliest
    gap = series([2.0, 2.0, 2.0, 2.0, None, 2.0], pod="gap")
    empty = Series(labels={"pod": "none"}, points=())
    calm = series([0.5] * 6, pod="calm")
    assert across(calm, empty, gap).labels == {"pod": "gap"}
    assert across(calm, empty).labels == {"pod": "none"}
    low, high = series([0.5] * 6, pod="low"), series([1.0] * 6, pod="high")
    assert across(low, high).labels == {"pod": "high"}  # closest to breaching `> 1.5`
    below = judge_sustained(
        [series([3.0] * 6, pod="far"), series([2.0] * 6, pod="near")],
        end=END,
        step=30,
        duration=60,
        threshold=1.5,
        comparison="<",
    )
    assert below.verdict is Verdict.PASS and below.labels == {"pod": "near"}
    nothing = judge_window([], end=END, step=30, threshold=0.02)
    assert (nothing.verdict, nothing.reason) == (None, "no series returned")


def test_each_window_finding_says_why_with_its_points() -> None:
    hot = judge_window([series([0.01, 0.03, 0.04], pod="a")], end=END, step=30, threshold=0.02)
    assert (hot.verdict, hot.reason, hot.value) == (
        Verdict.FAIL,
        "value 0.04 breaches the threshold",
        0.04,
    )
    assert hot.breach_started_at == 970.0 and hot.labels == {"pod": "a"}
    assert hot.points == ((940.0, 0.01), (970.0, 0.03), (1000.0, 0.04))
    calm = judge_window([series([0.03, 0.01])], end=END, step=30, threshold=0.02)
    assert (calm.verdict, calm.reason, calm.breach_started_at) == (
        Verdict.PASS,
        "value 0.01 within the threshold",
        None,
    )
    stale = judge_window([series([0.01, None])], end=END, step=30, threshold=0.02)
    assert (stale.reason, stale.missing, stale.points) == (
        "no value at the evaluation instant",
        Missing.NO_DATA,
        ((970.0, 0.01),),
    )
    lowest = judge_window(
        [series([0.5], pod="far"), series([0.1], pod="near")],
        end=END,
        step=30,
        threshold=0.05,
        comparison="<",
    )
    assert lowest.verdict is Verdict.PASS and lowest.labels == {"pod": "near"}


def test_no_traffic_and_no_series_are_named_and_the_closest_pass_is_per_comparison() -> None:
    idle = judge_window([series([0.01, math.nan], pod="a")], end=END, step=30, threshold=0.02)
    assert (idle.reason, idle.labels) == (
        "no value at the evaluation instant (0/0: no traffic)",
        {"pod": "a"},
    )
    nothing = judge_sustained([], end=END, step=30, duration=60, threshold=1.5)
    assert nothing.reason == "no series returned"
    for comparison in (">", ">="):
        highest = judge_window(
            [series([0.001], pod="far"), series([0.01], pod="near")],
            end=END,
            step=30,
            threshold=0.02,
            comparison=comparison,
        )
        assert highest.verdict is Verdict.PASS and highest.labels == {"pod": "near"}
