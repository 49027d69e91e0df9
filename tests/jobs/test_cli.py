"""`trainmaster jobs …` and `worker --once` through the CLI, on the policy's SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trainmaster.config.seed import seed_policy_text
from trainmaster.jobs.model import JobSpec, JobStatus
from trainmaster.store import open_store
from trainmaster.store.jobs import claim, enqueue, finish


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "trainmaster.yaml").write_text(seed_policy_text("acme", "maestro"))
    return tmp_path


def seed_jobs(workspace: Path) -> None:
    store = open_store("sqlite:///.trainmaster/state.db", workspace)
    now = datetime.now(UTC)
    with store.transaction() as s:
        enqueue(s, JobSpec("train.cut", "train.cut@later", now + timedelta(days=1)), now)
        enqueue(s, JobSpec("preview.sweep", "preview.sweep@dead", now - timedelta(minutes=1)), now)
    with store.transaction() as s:
        job = claim(s, "replica-a", now, 20)
        assert job is not None and job.key == "preview.sweep@dead"
        finish(s, job.id, "replica-a", now, status=JobStatus.DEAD, error="GitHub said 401")
    store.dispose()


def test_list_shows_what_is_scheduled_and_what_died(cli, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(workspace)
    result = cli("jobs", "list", "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [(r["key"], r["status"]) for r in rows] == [
        ("train.cut@later", "scheduled"),
        ("preview.sweep@dead", "dead"),
    ]
    assert rows[1]["last_error"] == "GitHub said 401"
    dead = cli("jobs", "list", "--status", "dead")
    assert "preview.sweep@dead" in dead.out and "train.cut@later" not in dead.out


def test_retry_a_dead_job_is_audited_and_a_scheduled_one_is_refused(cli, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(workspace)
    dry = cli("jobs", "retry", "preview.sweep@dead", "--reason", "token rotated", "--dry-run")
    assert dry.code == 0 and "nothing changed" in dry.out
    assert json.loads(cli("jobs", "show", "preview.sweep@dead", "--json").out)["status"] == "dead"
    done = cli(
        "--actor", "oncall", "jobs", "retry", "preview.sweep@dead", "--reason", "token rotated"
    )
    assert done.code == 0, done.err
    shown = json.loads(cli("jobs", "show", "preview.sweep@dead", "--json").out)
    assert shown["status"] == "scheduled" and shown["attempts"] == 0
    events = json.loads(cli("--json", "audit", "log").out)
    assert [(e["actor"], e["action"], e["reason"]) for e in events] == [
        ("oncall", "job.retry", "token rotated")
    ]
    again = cli("jobs", "retry", "preview.sweep@dead", "--reason", "token rotated")
    assert again.code == 2
    assert "is scheduled: only a cancelled or dead job can be retried" in again.err


def test_cancel_needs_a_reason_and_stops_a_scheduled_job(cli, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(workspace)
    short = cli("jobs", "cancel", "train.cut@later", "--reason", "no")
    assert short.code == 5 and "risky action" in short.err
    done = cli("jobs", "cancel", "train.cut@later", "--reason", "holiday week, no train")
    assert done.code == 0, done.err
    assert json.loads(cli("jobs", "show", "train.cut@later", "--json").out)["status"] == "cancelled"


def test_bad_input_is_one_line_and_exit_2(cli, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(workspace)
    unknown = cli("jobs", "show", "nope")
    assert unknown.code == 2 and unknown.err.strip() == (
        "error: no job 'nope' (see `trainmaster jobs list`)"
    )
    status = cli("jobs", "list", "--status", "exploded")
    assert status.code == 2 and "--status: 'exploded' is not one of scheduled" in status.err


def test_worker_once_runs_what_is_due(cli, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(workspace)
    cli("jobs", "retry", "preview.sweep@dead", "--reason", "token rotated")
    result = cli("worker", "--once")
    assert result.code == 0, result.err
    shown = json.loads(cli("jobs", "show", "preview.sweep@dead", "--json").out)
    assert shown["attempts"] == 1 and "kubeconfig" in shown["last_error"]  # the sweep really ran
