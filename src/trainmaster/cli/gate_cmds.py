"""`gate run` and `gate watch`: decide promote / hold / roll back from golden signals, load,
smoke and migration results. Exit 0 pass, 1 fail, 3 inconclusive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainmaster.cli.context import annotate, console, ctx, emit_json, step_summary
from trainmaster.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from trainmaster.config.model import Policy
    from trainmaster.gates.inputs import GateInputs, InputResult
    from trainmaster.gates.result import GateReport
    from trainmaster.gates.watch import WatchOutcome

gate_app = typer.Typer(
    help="Gates: promote / hold / roll back from real signals.", no_args_is_help=True
)


# Options, named once (`--json` is the global option, accepted after the command too).
RunEnv = Annotated[str, typer.Option("--env", help="Stage whose gates to evaluate.")]
Services = Annotated[
    list[str] | None, typer.Option("--service", help="Service (repeat for several).")
]
At = Annotated[str | None, typer.Option("--at", help="Evaluate at this RFC 3339 instant.")]
Prometheus = Annotated[str | None, typer.Option("--prometheus", help="Prometheus URL.")]
K6 = Annotated[Path | None, typer.Option("--k6", help="k6 summary JSON.")]
Locust = Annotated[Path | None, typer.Option("--locust", help="Locust --json stats.")]
Smoke = Annotated[Path | None, typer.Option("--smoke", help="JUnit XML of smoke tests.")]
Migrations = Annotated[Path | None, typer.Option("--migrations", help="Migrations result JSON.")]
CiChecks = Annotated[str | None, typer.Option("--ci-checks", help="success|failure|pending")]
PreviewDeploy = Annotated[
    str | None, typer.Option("--preview-deploy", help="success|failure|pending")
]
Only = Annotated[list[str] | None, typer.Option("--only", help="Only these gates.")]
RunTrain = Annotated[str | None, typer.Option("--train", help="Record results for this train.")]
Digest = Annotated[str | None, typer.Option("--digest", help="Artifact digest recorded.")]
WatchEnv = Annotated[str, typer.Option("--env", help="Stage to watch (usually prod).")]
For = Annotated[str | None, typer.Option("--for", help="How long, e.g. 30m.")]
Interval = Annotated[str | None, typer.Option("--interval", help="Between checks, e.g. 30s.")]
Service = Annotated[str | None, typer.Option("--service", help="Service to watch.")]
WatchTrain = Annotated[
    str | None,
    typer.Option("--train", help="The train being watched: results recorded, rollback through it."),
]
WatchDryRun = Annotated[bool, typer.Option("--dry-run", help="Print the rollback plan only.")]


def register(app: typer.Typer) -> None:
    app.add_typer(gate_app, name="gate")


def parse_instant(text: str | None, flag: str = "--at") -> datetime:
    """An RFC 3339 instant; a usage error names `flag`, the option the user typed."""
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as e:
        example = "2026-05-01T12:00:00Z"
        raise UsageError(f"{flag}: {text!r} is not an RFC 3339 time like {example}") from e
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _read(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{what} {path}: cannot read ({e.__class__.__name__})") from e


def gather_inputs(
    policy: Policy,
    stage: str,
    *,
    k6: Path | None,
    locust: Path | None,
    smoke: Path | None,
    migrations: Path | None,
    ci_checks: str | None,
    preview: str | None,
) -> GateInputs:
    from trainmaster.gates.inputs import GateInputs, parse_migrations
    from trainmaster.gates.junit import parse_junit

    smoke_text = _read(smoke, "--smoke")
    migration_text = _read(migrations, "--migrations")
    return GateInputs(
        ci_checks=_outcome("ci-checks", ci_checks),
        preview_deploy=_outcome("preview-deploy", preview),
        smoke=parse_junit(smoke_text, str(smoke)) if smoke_text is not None else None,
        load=_load(policy, stage, k6, locust),
        migrations=None
        if migration_text is None
        else parse_migrations(migration_text, str(migrations)),
    )


def _load(policy: Policy, stage: str, k6: Path | None, locust: Path | None) -> InputResult | None:
    from trainmaster.gates.inputs import parse_k6, parse_locust
    from trainmaster.gates.service import load_limits

    if k6 and locust:
        raise UsageError("give --k6 or --locust for the load gate, not both")
    if (text := _read(k6, "--k6")) is not None:
        return parse_k6(text, str(k6))
    if (text := _read(locust, "--locust")) is not None:
        return parse_locust(text, load_limits(policy, stage), str(locust))
    return None


def _outcome(name: str, value: str | None) -> InputResult | None:
    from trainmaster.gates.inputs import check_outcome

    if value is None:
        return None
    states = {"success": True, "pass": True, "failure": False, "fail": False, "pending": None}
    if value not in states:
        raise UsageError(f"--{name}: {value!r} is not one of {', '.join(states)}")
    return check_outcome(name, states[value])


@gate_app.command("run")
def run(typer_ctx: typer.Context, env: RunEnv, service: Services = None, at: At = None,
        prometheus: Prometheus = None, k6: K6 = None, locust: Locust = None, smoke: Smoke = None,
        migrations: Migrations = None, ci_checks: CiChecks = None, preview: PreviewDeploy = None,
        only: Only = None, train: RunTrain = None, digest: Digest = None) -> None:  # fmt: skip
    """Evaluate every gate of a stage: pass, fail or inconclusive per signal and overall."""
    from trainmaster.gates.use_cases import GateRunInput, run_gates

    state = ctx(typer_ctx)
    files = {"k6": k6, "locust": locust, "smoke": smoke, "migrations": migrations}
    inputs = gather_inputs(state.policy, env, ci_checks=ci_checks, preview=preview, **files)
    request = GateRunInput(
        state.actor, env, tuple(service or ()), parse_instant(at) if at else None, inputs,
        tuple(only) if only else None, prometheus, train, digest,
    )  # fmt: skip
    result = run_gates(state.app(), request)
    show(result.report, state.json_output)
    raise typer.Exit(int(result.exit_code))


def show(report: GateReport, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_json())
    else:
        _table(report)
    show_ci(report)


def show_ci(report: GateReport) -> None:
    """Annotations and the step summary when running in GitHub Actions."""
    for signal in report.signals:
        if signal.verdict.value != "pass":
            annotate("error" if signal.verdict.value == "fail" else "warning", signal.reason)
    from trainmaster.gates.summary import summary_markdown

    step_summary(summary_markdown(report))


def _table(report: GateReport) -> None:
    from rich.table import Table

    from trainmaster.gates.result import iso

    table = Table("gate", "verdict", "value", "threshold", "window", "breach since", "reason")
    for s in report.signals:
        value = "" if s.value is None else f"{s.value:.4g}"
        threshold = "" if s.threshold is None else f"{s.comparison} {s.threshold:g}"
        table.add_row(
            s.name,
            s.verdict.value,
            value,
            threshold,
            s.window or "",
            iso(s.breach_started_at) or "",
            s.reason,
        )
    out = console()
    out.print(table)
    for s in report.signals:
        if s.verdict.value != "pass" and s.query:
            out.print(f"{s.name}: {len(s.points)} points from {s.query}", markup=False)
    out.print(f"overall: {report.verdict.value} at {iso(report.evaluated_at)}")


def _duration(text: str | None, flag: str) -> timedelta | None:
    from trainmaster.config.durations import parse_duration

    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as e:
        raise UsageError(f"{flag}: {e}") from e


@gate_app.command("watch")
def watch_cmd(typer_ctx: typer.Context, env: WatchEnv, duration: For = None,
              interval: Interval = None, service: Service = None, prometheus: Prometheus = None,
              train: WatchTrain = None, dry_run: WatchDryRun = False) -> None:  # fmt: skip
    """Post-promotion analysis: roll back on the first failing criterion; resumes on restart.

    With --train the rollback goes through the train (its state, effect journal and audit), as
    `trainmaster rollback --train` would; without it, straight through the cluster."""
    from trainmaster.gates.use_cases import EXIT_FOR_VERDICT, GateWatchInput, watch_stage

    state = ctx(typer_ctx)
    as_json = state.json_output
    out = console(stderr=as_json)
    request = GateWatchInput(
        state.actor, env, _duration(duration, "--for"), _duration(interval, "--interval"),
        service, prometheus, train, dry_run, on_report=lambda report: _progress(out, report),
    )  # fmt: skip
    outcome = watch_stage(state.app(), request)
    _show_watch(outcome, out, as_json)
    if outcome.last_report:
        show_ci(outcome.last_report)
    raise typer.Exit(int(EXIT_FOR_VERDICT[outcome.verdict.value]))


def _progress(out: Console, report: GateReport) -> None:
    from trainmaster.gates.result import iso

    failing = ", ".join(s.name for s in report.signals if s.verdict.value != "pass")
    out.print(
        f"{iso(report.evaluated_at)} {report.verdict.value}" + (f" ({failing})" if failing else "")
    )


def _show_watch(outcome: WatchOutcome, out: Console, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "watch": outcome.key,
                "status": outcome.status,
                "verdict": outcome.verdict.value,
                "evaluations": outcome.evaluations,
                "resumed": outcome.resumed,
                "applied": outcome.applied,
                "plan": outcome.plan.as_dict() if outcome.plan else None,
                "report": outcome.last_report.to_json() if outcome.last_report else None,
            }
        )
        return
    if outcome.plan:
        verb = "applied" if outcome.applied else "planned (dry run)"
        out.print(f"rollback {verb}: {outcome.plan.describe()}", markup=False)
    out.print(f"watch {outcome.key}: {outcome.status} after {outcome.evaluations} evaluations")
