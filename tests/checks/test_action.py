"""The trainmaster action's two steps (`action/install.sh`, `action/run.sh`) as GitHub runs them:
outputs through GITHUB_OUTPUT, PATH through GITHUB_PATH, one summary line per command. The whole
action, installing for real, runs in `tests/workflow_runner/test_release_train.py`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.workflow_runner.files import read_pairs, read_paths

ROOT = Path(__file__).resolve().parents[2]
FAKE = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$ARGV_FILE"
echo '{"train": "v1.4.0",'
echo ' "status": "open"}'
exit "${FAKE_EXIT:-0}"
"""


def _run(script: str, tmp: Path, env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    for name in ("out", "summary", "path"):
        (tmp / name).write_text("")
    done = subprocess.run(
        ["bash", str(ROOT / "action" / script)],
        env={
            "PATH": "/usr/bin:/bin",
            "RUNNER_TEMP": str(tmp),
            "GITHUB_OUTPUT": str(tmp / "out"),
            "GITHUB_STEP_SUMMARY": str(tmp / "summary"),
            "GITHUB_PATH": str(tmp / "path"),
            "ACTION_PATH": str(ROOT),
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    log = (tmp / "summary").read_text() + done.stdout + done.stderr
    return done.returncode, read_pairs(tmp / "out"), log


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    path = tmp_path / "trainmaster"
    path.write_text(FAKE)
    path.chmod(0o755)
    return path


def test_run_gives_json_and_exit_code_and_names_the_command_not_its_values(
    tmp_path: Path, fake: Path
) -> None:
    env = {
        "TRAINMASTER_BIN": str(fake),
        "TRAINMASTER_ARGS": 'promote "$TRAIN" --env prod --reason "$REASON"',
        "TRAIN": "v1.4.0",
        "REASON": "ship it; $(touch pwned)",
        "ARGV_FILE": str(tmp_path / "argv"),
        "FAKE_EXIT": "5",
    }
    code, outputs, summary = _run("run.sh", tmp_path, env)
    assert code == 5
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv == ["--json", "promote", "v1.4.0", "--env", "prod", "--reason", env["REASON"]]
    assert not (tmp_path / "pwned").exists()  # a value is data, never code
    assert outputs["exit-code"] == "5"
    assert outputs["json"] == '{"train": "v1.4.0",\n "status": "open"}'
    assert (
        '`trainmaster promote "$TRAIN" --env prod --reason "$REASON"` → exit 5 (refused by policy)'
        in summary
    )
    assert "ship it" not in summary


def test_allowed_exit_codes_and_plain_output(tmp_path: Path, fake: Path) -> None:
    env = {
        "TRAINMASTER_BIN": str(fake),
        "TRAINMASTER_ARGS": "gate run --env stage",
        "ARGV_FILE": str(tmp_path / "argv"),
        "FAKE_EXIT": "3",
        "ALLOWED_EXIT_CODES": "0 3",
        "TRAINMASTER_JSON": "false",
    }
    code, outputs, summary = _run("run.sh", tmp_path, env)
    assert code == 0 and outputs == {"exit-code": "3"}
    assert (tmp_path / "argv").read_text().splitlines()[0] == "gate"
    assert "exit 3 (inconclusive)" in summary
    code, _, _ = _run("run.sh", tmp_path, env | {"ALLOWED_EXIT_CODES": "0"})
    assert code == 3


def _installed(tmp_path: Path, version: str) -> Path:
    """A venv at the key install.sh computes, as a previous job of the runner left it."""
    key = subprocess.run(
        [sys.executable, str(ROOT / "action/source_key.py"), str(ROOT), ""],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    venv = tmp_path / "cache/trainmaster" / key
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/trainmaster").write_text("#!/bin/sh\n")
    (venv / "bin/python").write_text(f"#!/bin/sh\necho {version}\n")
    for name in ("trainmaster", "python"):
        (venv / "bin" / name).chmod(0o755)
    return venv


def test_install_reuses_a_venv_of_the_same_source_and_checks_the_version(tmp_path: Path) -> None:
    venv = _installed(tmp_path, "0.1.0")
    env = {"RUNNER_TOOL_CACHE": str(tmp_path / "cache"), "PYTHON": sys.executable}
    code, outputs, err = _run("install.sh", tmp_path, env | {"WANT_VERSION": "0.1.0"})
    assert code == 0, err
    assert outputs == {"bin": f"{venv}/bin/trainmaster", "version": "0.1.0"}
    assert read_paths(tmp_path / "path") == [f"{venv}/bin"]
    code, _, err = _run("install.sh", tmp_path, env | {"WANT_VERSION": "0.2.0"})
    assert code == 2
    assert "installs trainmaster 0.1.0, the workflow asks for 0.2.0" in err


def test_install_refuses_extras_that_are_not_names(tmp_path: Path) -> None:
    code, _, err = _run(
        "install.sh", tmp_path, {"EXTRAS": "postgres] ; rm -rf /", "PYTHON": sys.executable}
    )
    assert code == 2 and "not a comma-separated list of extras" in err


def test_another_source_gets_another_install_key(tmp_path: Path) -> None:
    from importlib import util

    spec = util.spec_from_file_location("source_key", ROOT / "action/source_key.py")
    assert spec and spec.loader
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tree = tmp_path / "tree"
    (tree / "src/pkg").mkdir(parents=True)
    (tree / "pyproject.toml").write_text("[project]\n")
    (tree / "src/pkg/a.py").write_text("x = 1\n")
    first = module.source_key(tree, "")
    assert module.source_key(tree, "postgres") != first
    (tree / "src/pkg/a.py").write_text("x = 2\n")
    assert module.source_key(tree, "") != first


def test_the_action_metadata_wires_inputs_to_its_steps() -> None:
    meta = yaml.safe_load((ROOT / "action.yml").read_text())
    assert meta["runs"]["using"] == "composite"
    assert set(meta["inputs"]) == {
        "args",
        "extras",
        "version",
        "python",
        "json",
        "allowed-exit-codes",
    }
    assert meta["outputs"]["json"]["value"] == "${{ steps.run.outputs.json }}"
    for step in meta["runs"]["steps"]:
        assert "${{" not in step["run"]  # inputs reach the scripts through env only
        assert step["shell"] == "bash"
