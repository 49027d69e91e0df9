"""The gate CLI: inputs from files, bad input, and `gate watch` against data around now."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gates.conftest import AT_T0 as AT
from tests.gates.test_inputs import JUNIT, SUMMARY_EXPORT
from tests.gates.test_watch import FakeCluster
from tests.gates.traffic import Traffic, constant, record
from tests.prometheus_server import Samples, prometheus_with

STAGE_ARGS = ("gate", "run", "--env", "stage", "--service", "healthy", "--at", AT)
ONLY = ("--only", "smoke", "--only", "load", "--only", "error-rate")


@pytest.fixture(autouse=True)
def _policy(policy_file: Path) -> None:
    assert policy_file.exists()


def test_stage_gates_take_smoke_and_k6_results(cli, golden_prometheus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "k6.json").write_text(json.dumps(SUMMARY_EXPORT))
    (tmp_path / "smoke.xml").write_text(JUNIT.replace('<failure message="401"/>', ""))
    result = cli(
        *STAGE_ARGS,
        "--prometheus",
        golden_prometheus,
        *ONLY,
        "--k6",
        "k6.json",
        "--smoke",
        "smoke.xml",
        "--json",
    )
    assert result.code == 0, result.out + result.err
    body = json.loads(result.out)
    assert [s["name"] for s in body["signals"]] == ["smoke", "load", "error-rate"]


def test_a_gate_without_its_input_is_inconclusive(cli, golden_prometheus) -> None:  # type: ignore[no-untyped-def]
    result = cli(*STAGE_ARGS, "--prometheus", golden_prometheus, *ONLY, "--json")
    assert result.code == 3
    smoke = json.loads(result.out)["signals"][0]
    assert smoke["verdict"] == "inconclusive" and "no result given" in smoke["reason"]


def test_failed_smoke_fails_the_stage(cli, golden_prometheus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "smoke.xml").write_text(JUNIT)
    (tmp_path / "k6.json").write_text(json.dumps(SUMMARY_EXPORT))
    result = cli(
        *STAGE_ARGS,
        "--prometheus",
        golden_prometheus,
        *ONLY,
        "--smoke",
        "smoke.xml",
        "--k6",
        "k6.json",
    )
    assert result.code == 1
    assert "smoke.login" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--k6", "bad.json"), "bad.json: not valid JSON"),
        (("--smoke", "bad.json"), "bad.json: malformed XML"),
        (("--k6", "missing.json"), "--k6 missing.json: cannot read"),
        (("--only", "latency"), "unknown gate 'latency'"),
        (("--at", "yesterday"), "--at: 'yesterday' is not an RFC 3339 time"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, args, message) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.json").write_text("{oops")
    base = [a for a in STAGE_ARGS if a not in ("--at", AT)]
    result = cli(*base, "--prometheus", "http://127.0.0.1:9", *args)
    assert result.code == 2, result.err
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_unknown_stage_is_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("gate", "run", "--env", "staging", "--prometheus", "http://127.0.0.1:9")
    assert result.code == 2 and "did you mean 'stage'" in result.err


@pytest.fixture(scope="module")
def live_prometheus() -> Iterator[str]:
    """Data around the real current time: `gate watch` evaluates at now."""
    now = float(int(time.time()) // 15 * 15)
    samples = Samples()
    record(samples, Traffic("hot", cpu=constant(0.95)), now - 40 * 60, now + 10 * 60)
    record(samples, Traffic("healthy"), now - 40 * 60, now + 10 * 60)
    with prometheus_with(samples) as url:
        yield url


@pytest.fixture
def fake_cluster(monkeypatch: pytest.MonkeyPatch) -> FakeCluster:
    cluster = FakeCluster()
    monkeypatch.setattr(
        "trainmaster.rollout.backends.cluster_for",
        lambda policy, base_dir=None, shared=False: cluster,
    )
    return cluster


def test_watch_dry_run_prints_the_plan_only(cli, live_prometheus, fake_cluster) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "gate",
        "watch",
        "--env",
        "prod",
        "--for",
        "2s",
        "--interval",
        "1s",
        "--service",
        "hot",
        "--prometheus",
        live_prometheus,
        "--dry-run",
        "--json",
    )
    assert result.code == 1, result.err
    body = json.loads(result.out)
    assert body["status"] == "failed" and body["applied"] is False
    assert body["plan"]["action"] == "undo" and "saturation" in body["plan"]["signals"]
    assert fake_cluster.calls == []


def test_watch_rolls_back_once_and_a_rerun_resumes(cli, live_prometheus, fake_cluster) -> None:  # type: ignore[no-untyped-def]
    args = (
        "gate",
        "watch",
        "--env",
        "prod",
        "--for",
        "2s",
        "--interval",
        "1s",
        "--service",
        "hot",
        "--prometheus",
        live_prometheus,
    )
    first = cli(*args)
    assert first.code == 1, first.err
    assert "rollback applied: undo to the previous revision of maestro/maestro" in first.out
    assert fake_cluster.calls == ["undo"]
    again = cli(*args, "--json")
    assert json.loads(again.out)["status"] == "rolled_back"
    assert fake_cluster.calls == ["undo"]
    audit = cli("--json", "audit", "log", "--action", "rollback")
    assert len(json.loads(audit.out)) == 1


def test_watch_of_a_healthy_release_passes(cli, live_prometheus, fake_cluster) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "gate",
        "watch",
        "--env",
        "prod",
        "--for",
        "1s",
        "--interval",
        "1s",
        "--service",
        "healthy",
        "--prometheus",
        live_prometheus,
        "--json",
    )
    body = json.loads(result.out)
    assert result.code == 0, body
    assert body["status"] == "passed" and body["evaluations"] == 2 and fake_cluster.calls == []


def test_results_are_recorded_for_a_train(cli, golden_prometheus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from trainmaster.store import open_store
    from trainmaster.store.models import GateResultRow

    digest = "sha256:" + "c" * 64
    result = cli(
        "gate",
        "run",
        "--env",
        "prod",
        "--service",
        "errors5",
        "--at",
        AT,
        "--prometheus",
        golden_prometheus,
        "--train",
        "v1.4.0",
        "--digest",
        digest,
    )
    assert result.code == 1
    store = open_store(f"sqlite:///{tmp_path / '.trainmaster/state.db'}", tmp_path)
    with store.transaction() as session:
        rows = session.execute(select(GateResultRow)).scalars().all()
        found = {r.gate: (r.verdict, r.train_id, r.digest) for r in rows}
        evidence = json.loads(next(r.evidence for r in rows if r.gate == "error-rate"))
    assert found["error-rate"] == ("fail", "v1.4.0", digest)
    assert len(found) == 5 and evidence["query"].startswith("label_replace(")


def test_locust_migrations_and_ci_outcomes_feed_their_gates(
    cli, golden_prometheus, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from tests.gates.test_inputs import LOCUST

    (tmp_path / "locust.json").write_text(json.dumps(LOCUST))
    (tmp_path / "migrations.json").write_text(
        '{"breaches": ["users.email dropped before the contract phase"]}'
    )
    result = cli(
        "gate",
        "run",
        "--env",
        "stage",
        "--service",
        "healthy",
        "--at",
        AT,
        "--prometheus",
        golden_prometheus,
        "--only",
        "ci-checks",
        "--only",
        "load",
        "--only",
        "migrations",
        "--locust",
        "locust.json",
        "--migrations",
        "migrations.json",
        "--ci-checks",
        "success",
        "--json",
    )
    signals = {s["name"]: s for s in json.loads(result.out)["signals"]}
    assert signals["ci-checks"]["verdict"] == "pass"
    assert (
        signals["load"]["verdict"] == "pass" and "failure ratio 0.50%" in signals["load"]["reason"]
    )
    assert (
        signals["migrations"]["verdict"] == "fail"
        and "users.email" in signals["migrations"]["reason"]
    )
    assert result.code == 1
    pending = cli(
        "gate",
        "run",
        "--env",
        "stage",
        "--at",
        AT,
        "--prometheus",
        golden_prometheus,
        "--only",
        "ci-checks",
        "--ci-checks",
        "pending",
    )
    assert pending.code == 3
    both = cli(
        "gate",
        "run",
        "--env",
        "stage",
        "--prometheus",
        golden_prometheus,
        "--k6",
        "locust.json",
        "--locust",
        "locust.json",
    )
    assert both.code == 2 and "not both" in both.err
