"""The global options (`--json`, `--actor`, `--policy`, `--debug`) work before and after the
command, on every command; usage errors name the option the user typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from tests.policy.conftest import seed_text
from trainmaster.cli.app import app, hoist_globals, register_commands


def leaf_commands() -> list[list[str]]:
    register_commands(None)
    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children is None:
            found.append(path)
            return
        for name, child in children.items():
            walk(child, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_is_found() -> None:
    commands = {" ".join(c) for c in leaf_commands()}
    assert {"checks contexts", "checks lint", "authz check", "promote", "train cut"} <= commands
    assert len(commands) > 40


@pytest.mark.parametrize("option", [["--json"], ["--debug"], ["--actor", "eve"], ["-p", "x.yaml"]])
def test_every_command_accepts_the_global_options_after_its_name(cli, option: list[str]) -> None:  # type: ignore[no-untyped-def]
    # `--help` is eager: parsing stops there, so no command runs; an option the command did not
    # accept would have failed the parse before it ("No such option").
    refused = []
    for path in leaf_commands():
        result = cli(*path, *option, "--help")
        if result.code != 0:
            refused.append((" ".join(path), result.err.strip().splitlines()[-1:]))
    assert refused == []


def test_options_move_to_the_front_and_values_stay_with_them() -> None:
    assert hoist_globals(["checks", "lint", "--json"]) == ["--json", "checks", "lint"]
    assert hoist_globals(["authz", "check", "--actor", "eve", "--action", "promote"]) == [
        "--actor",
        "eve",
        "authz",
        "check",
        "--action",
        "promote",
    ]
    assert hoist_globals(["promote", "--actor=eve", "-p", "a.yaml", "v1"]) == [
        "--actor=eve",
        "-p",
        "a.yaml",
        "promote",
        "v1",
    ]
    # after `--` nothing is an option of ours
    assert hoist_globals(["demo", "--", "--json"]) == ["demo", "--", "--json"]


def test_actor_and_json_after_the_command_take_effect(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(seed_text(captains=["ana"]))
    result = cli("authz", "check", "--action", "promote", "--stage", "prod", "--actor", "eve")
    assert result.code == 5
    result = cli(
        "authz", "check", "--action", "promote", "--json", "--actor", "ana", "--reason", "ship it"
    )
    assert result.code == 0, result.err
    decision = json.loads(result.out)
    assert (decision["actor"], decision["allow"]) == ("ana", True)


def test_checks_commands_take_json_after_their_name(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(seed_text())
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "name: ci\non: [pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: make test\n"
    )
    result = cli("checks", "contexts", "--json")
    assert result.code == 0, result.err
    assert [c["context"] for c in json.loads(result.out)["contexts"]] == ["test"]
    lint = cli("checks", "lint", "--json")
    assert lint.code == 1  # the seed requires checks this workflow does not run
    assert {f["rule"] for f in json.loads(lint.out)["findings"]} >= {"missing"}


def test_a_bad_instant_names_the_option_typed(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(seed_text())
    result = cli("train", "schedule", "--from", "yesterday")
    assert result.code == 2
    assert "--from: 'yesterday' is not an RFC 3339 time" in result.err
    assert "--at" not in result.err
