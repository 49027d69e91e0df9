"""The CLI's conventions through its public surface: exit codes, --json, errors, the store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from trainmaster import __version__


def test_version_fast_path() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "trainmaster", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"trainmaster {__version__}"


def test_init_then_validate(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init", "--owner", "acme", "--repo", "maestro").code == 0
    assert "acme/maestro" in (tmp_path / "trainmaster.yaml").read_text()
    result = cli("--json", "validate")
    assert result.code == 0
    assert json.loads(result.out)["required_checks"] == 17


def test_init_refuses_to_overwrite(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    result = cli("init")
    assert result.code == 2
    assert "already exists" in result.err


def test_validation_error_exit_2_and_no_store_written(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(
        "version: 1\nstages:\n  prod: {namespace: x, gatez: []}\n"
    )
    result = cli("audit", "log")
    assert result.code == 2
    assert result.err.strip() == (
        "error: trainmaster.yaml:3:24: stages.prod.gatez: unknown key 'gatez'; did you mean 'gates'?"
    )
    assert not (tmp_path / ".trainmaster").exists()


def test_missing_policy_file(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("validate", "nope.yaml")
    assert result.code == 2
    assert "nope.yaml: no such policy file" in result.err


def test_audit_verify_detects_tampering_through_the_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from trainmaster.audit import AuditLog
    from trainmaster.store import open_store

    cli("init")
    store = open_store("sqlite:///.trainmaster/state.db", tmp_path)
    for i in range(3):
        AuditLog(store).append(actor="a", action="x", target=f"t{i}")
    store.dispose()
    ok = cli("--json", "audit", "verify")
    assert ok.code == 0 and json.loads(ok.out)["events"] == 3
    with sqlite3.connect(tmp_path / ".trainmaster" / "state.db") as db:
        db.execute("UPDATE audit_events SET actor = 'b' WHERE seq = 2")
    bad = cli("audit", "verify")
    assert bad.code == 1
    assert "audit chain broken at seq 2" in bad.err


def test_github_actions_annotations_go_to_stderr(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    (tmp_path / "trainmaster.yaml").write_text("version: 2\n")
    result = cli("--json", "validate")
    assert result.code == 2
    assert result.out == ""
    assert "::error file=trainmaster.yaml,line=1,col=10::version: Input should be 1" in result.err


def test_validate_answers_from_the_cache_only_for_unchanged_bytes(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    first = cli("--json", "validate")
    cached = cli("--json", "validate")
    assert first.code == cached.code == 0
    assert json.loads(cached.out)["required_checks"] == 17
    assert list((tmp_path / ".xdg-cache" / "trainmaster" / "validated").glob("*.json"))
    policy = tmp_path / "trainmaster.yaml"
    policy.write_text(policy.read_text().replace("quorum: 2 ", "quorum: x "))
    broken = cli("validate")
    assert broken.code == 2
    assert "stages.prod.approval.quorum" in broken.err


def test_an_unknown_option_is_a_usage_error_not_a_traceback(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("audit", "log", "--bogus")
    assert result.code == 2
    assert "No such option: --bogus" in result.err
    assert "Traceback" not in result.err


def test_the_command_map_names_exactly_what_each_module_registers() -> None:
    import importlib

    import typer

    from trainmaster.cli.app import COMMAND_MODULES

    for module, names in COMMAND_MODULES.items():
        probe = typer.Typer()
        importlib.import_module(module).register(probe)
        registered = {c.name for c in probe.registered_commands} | {
            g.name for g in probe.registered_groups
        }
        assert registered == set(names), module


def test_global_options_are_skipped_to_find_the_command() -> None:
    from trainmaster.cli.app import command_of

    assert command_of(["--json", "--policy", "x.yaml", "--actor", "me", "train", "list"]) == "train"
    assert command_of(["--debug"]) is None
