"""Same commands, same audit on the local target, in a process that owns it (as the demo does).
Across separate invocations the supervisor owns it: tests/adapters/local/test_supervisor.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.adapters.local.test_local_cluster import V1, V2, local_policy_text
from trainmaster.adapters.local.registry import close_all, local_cluster
from trainmaster.config import parse_policy
from trainmaster.rollout.port import Target


@pytest.fixture
def local_policy(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "trainmaster.yaml"
    path.write_text(local_policy_text())
    yield path
    close_all()


def test_rollout_commands_drive_the_local_target(cli, tmp_path: Path, local_policy: Path):
    for image, version in ((V1, "1.0.0"), (V2, "2.0.0")):  # artifact dirs: one per digest
        artifact = tmp_path / ".trainmaster" / "artifacts" / image.rsplit(":", 1)[1]
        artifact.mkdir(parents=True)
        (artifact / "VERSION").write_text(version)
    # This process owns the local target, so the CLI may run releases in it.
    cluster = local_cluster(parse_policy(local_policy.read_text()), tmp_path)
    assert cli("rollout", "deploy", V1, "--stage", "prod", "--reason", "ship it").code == 0
    assert cli("rollout", "deploy", V2, "--stage", "prod", "--reason", "ship it").code == 0
    dry = cli("rollout", "promote", "--stage", "prod", "--dry-run")
    assert dry.code == 0 and 'local {"switch": {"to": "pending"}}' in dry.out
    assert cli("rollout", "promote", "--stage", "prod", "--reason", "ship it").code == 0

    url = cluster.endpoints(Target("prod", "maestro", "maestro")).active
    assert url is not None and httpx.get(url).text.strip() == "version 2.0.0"
    assert cli("rollout", "undo", "--ns", "maestro", "--reason", "error rate").code == 0
    assert httpx.get(url).text.strip() == "version 1.0.0"
    status = json.loads(cli("--json", "rollout", "status", "--stage", "prod").out)
    assert status["stable"] == V1 and status["phase"] == "Healthy"

    audit = json.loads(cli("--json", "audit", "log").out)
    assert [e["action"] for e in audit] == [
        "rollout.deploy",
        "rollout.deploy",
        "promote",
        "rollback",
    ]
    assert {e["payload"]["backend"] for e in audit} == {"local"}
    assert audit[-1]["reason"] == "error rate"


def test_without_a_supervisor_the_cli_refuses_to_start_releases_that_would_die_with_it(
    cli, local_policy: Path
):
    result = cli("rollout", "deploy", V1, "--stage", "prod", "--reason", "ship it")
    assert result.code == 2
    assert "start it with `trainmaster local serve --detach`" in result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
