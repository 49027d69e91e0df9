"""The gate use cases without Typer: the same report, records and rollbacks as the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.gates.conftest import AT_T0 as AT
from tests.gates.test_gate_cli import fake_cluster, live_prometheus  # noqa: F401 - fixtures
from tests.gates.test_watch import FakeCluster
from trainmaster.audit import AuditLog
from trainmaster.config import load_policy
from trainmaster.errors import ExitCode, Refused
from trainmaster.gates.use_cases import GateRunInput, GateWatchInput, run_gates, watch_stage
from trainmaster.wiring import App


def _app(policy_file: Path) -> App:
    return App(load_policy(policy_file), policy_file.parent)


def test_run_gives_the_clis_report_and_records_it(cli, golden_prometheus, policy_file) -> None:  # type: ignore[no-untyped-def]
    args = ("gate", "run", "--env", "prod", "--service", "errors5", "--at", AT)
    ran = cli(*args, "--prometheus", golden_prometheus, "--json")
    at = datetime.fromisoformat(AT)
    request = GateRunInput(
        "ana", "prod", ("errors5",), at, prometheus_url=golden_prometheus, train="v1.4.0"
    )
    with _app(policy_file) as app:
        result = run_gates(app, request)
    assert result.report.to_json() == json.loads(ran.out)
    assert result.exit_code is ExitCode.FAILED and ran.code == 1
    assert result.recorded == len(result.report.signals) == 5


def test_several_services_name_each_result(golden_prometheus, policy_file) -> None:  # type: ignore[no-untyped-def]
    request = GateRunInput(
        "ana",
        "prod",
        ("errors5", "healthy"),
        datetime.fromisoformat(AT),
        only=("error-rate",),
        prometheus_url=golden_prometheus,
    )
    with _app(policy_file) as app:
        report = run_gates(app, request).report
    assert [s.name for s in report.signals] == ["errors5/error-rate", "healthy/error-rate"]


def test_watch_rolls_back_once_as_the_watcher(
    live_prometheus: str,  # noqa: F811
    fake_cluster: FakeCluster,  # noqa: F811
    policy_file: Path,
) -> None:
    reports = []
    request = GateWatchInput(
        "ana",
        "prod",
        timedelta(seconds=2),
        timedelta(seconds=1),
        "hot",
        live_prometheus,
        on_report=reports.append,
    )
    with _app(policy_file) as app:
        outcome = watch_stage(app, request)
        events = list(AuditLog(app.store).events(action="rollback"))
    assert (outcome.status, fake_cluster.calls) == ("rolled_back", ["undo"])
    assert len(reports) == outcome.evaluations >= 1
    assert outcome.plan is not None
    assert [(e.actor, e.reason) for e in events] == [("ana", outcome.plan.reason)]


def test_a_watcher_who_may_not_roll_back_is_refused_before_it_starts(
    fake_cluster: FakeCluster,  # noqa: F811
    policy_file: Path,
) -> None:
    text = policy_file.read_text().replace(
        "title: Release Captain\n    members: []", "title: Release Captain\n    members: [ana]"
    )
    policy_file.write_text(text)
    with _app(policy_file) as app, pytest.raises(Refused) as refused:
        watch_stage(app, GateWatchInput("eve", "prod", prometheus_url="http://127.0.0.1:9"))
    assert [r.rule for r in refused.value.reasons] == ["authz"]
    assert fake_cluster.calls == []
