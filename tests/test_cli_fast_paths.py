"""The CLI's fast paths: what each loads, and that it answers exactly as the full Typer path.

Each probe runs `trainmaster.cli.main` in a fresh interpreter and reports which heavy packages
it imported (`sys.modules`), so a module-level import that drags Typer, rich or pydantic back
onto a fast path fails here (start-up time itself is measured in benchmarks/cold_start.sh).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.train.fakes import commit, make_repo

PROBE = """
import json, sys
HEAVY = ("typer", "click", "rich", "pydantic", "jinja2", "sqlalchemy")
from trainmaster.cli import main
code = main(sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
sys.stderr.write("\\nLOADED " + json.dumps([code, heavy]) + "\\n")
"""


def _probe(cwd: Path, *args: str) -> tuple[int, list[str], str, str]:
    """(exit code, heavy packages loaded, stdout, stderr without the probe's line)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / ".xdg-cache")}
    env.pop("TRAINMASTER_POLICY", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    err, _, report = done.stderr.rpartition("\nLOADED ")
    code, heavy = json.loads(report)
    return code, heavy, done.stdout, err


def _full_path(cwd: Path, *args: str) -> tuple[int, str, str]:
    """The same command through the Typer app, the fast paths bypassed."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / ".xdg-cache-full")}
    script = "import sys; from trainmaster.cli.app import run; sys.exit(run(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _policy(tmp_path: Path) -> Path:
    code, _, _, err = _probe(tmp_path, "init", "--owner", "acme", "--repo", "maestro")
    assert code == 0, err
    return tmp_path / "trainmaster.yaml"


def test_a_first_validation_loads_the_models_but_not_typer_or_rich(tmp_path: Path) -> None:
    _policy(tmp_path)
    code, heavy, out, _ = _probe(tmp_path, "validate", "--json")
    assert code == 0 and heavy == ["pydantic"]
    assert json.loads(out)["required_checks"] == 17
    again, cached_heavy, cached_out, _ = _probe(tmp_path, "--json", "validate")
    assert (again, cached_heavy, cached_out) == (0, [], out)  # the record: no pydantic either
    assert _full_path(tmp_path, "--json", "validate") == (0, out, "")


def test_the_cold_validation_answers_as_the_full_path_in_text_and_for_a_named_file(
    tmp_path: Path,
) -> None:
    policy = _policy(tmp_path)
    renamed = tmp_path / "sub" / "policy.yaml"
    renamed.parent.mkdir()
    renamed.write_bytes(policy.read_bytes() + b"\n# a new file\n")
    code, heavy, out, _ = _probe(tmp_path, "validate", "./sub/policy.yaml")
    assert (code, heavy) == (0, ["pydantic"])
    assert out == "sub/policy.yaml: valid (1 repos, 3 stages, 5 signals, 17 required checks)\n"
    assert _full_path(tmp_path, "validate", "./sub/policy.yaml") == (0, out, "")


def test_an_invalid_policy_is_reported_by_the_full_path(tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    policy.write_text(policy.read_text().replace("quorum: 2 ", "quorum: x "))
    code, heavy, out, err = _probe(tmp_path, "validate")
    assert code == 2 and out == "" and "typer" in heavy
    assert "stages.prod.approval.quorum" in err
    assert not list((tmp_path / ".xdg-cache").rglob("*.json"))  # failures are never recorded


def test_notes_without_a_policy_skip_typer_pydantic_and_rich(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", ["feat(api): orders (#7)"])
    commit(repo, "fix: carts\n\nBREAKING CHANGE: carts expire")
    for args in (
        ("notes",),
        ("notes", "HEAD", "--format", "slack"),
        ("notes", "--format=json", "v1.0.0..HEAD"),
        ("--json", "announce"),
        ("notes", "v1.0.0..HEAD", "--json"),
    ):
        code, heavy, out, err = _probe(repo, *args)
        assert code == 0, err
        assert "typer" not in heavy and "pydantic" not in heavy and "rich" not in heavy, args
        assert _full_path(repo, *args) == (0, out, ""), args


def test_notes_errors_and_options_it_does_not_know_take_the_full_path(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", ["feat: one"])
    bad_range = _probe(repo, "notes", "nope..HEAD")
    assert bad_range[0] == 2 and "typer" in bad_range[1] and "nope..HEAD" in bad_range[3]
    bad_format = _probe(repo, "notes", "--format", "pdf")
    assert bad_format[0] == 2 and "md, json, slack" in bad_format[3]
    helped = _probe(repo, "notes", "--help")
    assert helped[0] == 0 and "typer" in helped[1] and "--format" in helped[2]
    (repo / "trainmaster.yaml").write_text("version: 1\n")  # a policy: links, templates, store
    assert "pydantic" in _probe(repo, "notes")[1]


HELP_PROBE = """
import sys
from trainmaster.cli import main
main(sys.argv[1:])
loaded = [m for m in sys.modules if m.endswith("_cmds") or m == "pydantic"]
sys.stderr.write("\\nLOADED " + " ".join(loaded) + "\\n")
"""


def _help(*args: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, *args], capture_output=True, text=True, check=True
    )
    return done.stdout, set(done.stderr.rpartition("\nLOADED ")[2].split())


def test_a_group_help_loads_that_group_only_and_no_pydantic() -> None:
    out, loaded = _help("gate", "--help")
    assert "run" in out and "watch" in out
    assert loaded == {"trainmaster.cli.gate_cmds"}  # Typer < 0.29: no pydantic for parameters
    root, every = _help("--help", "gate")  # the root's help lists every command
    assert "notes" in root and "gate" in root
    assert {"trainmaster.cli.gate_cmds", "trainmaster.cli.notes_cmds"} <= every
