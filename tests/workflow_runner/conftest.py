"""Fixtures of the workflow runner's tests: a bare repository to check out and a runner on it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.workflow_runner.runner import Runner, Settings

ROOT = Path(__file__).resolve().parents[2]
ACTION = "acme/trainmaster@" + "7" * 40


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_remote(tmp: Path, files: dict[str, str]) -> tuple[Path, Path]:
    """A working repository with `files` committed on main, and its bare clone (the remote)."""
    work, remote = tmp / "work", tmp / "remote.git"
    work.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=work)
    git("config", "user.name", "Dev", cwd=work)
    git("config", "user.email", "dev@example.com", cwd=work)
    for name, text in files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git("add", "-A", cwd=work)
    git("commit", "--quiet", "-m", "feat: the service", cwd=work)
    git("clone", "--quiet", "--bare", str(work), str(remote), cwd=tmp)
    git("remote", "add", "origin", str(remote), cwd=work)
    return work, remote


@pytest.fixture
def runner_for(tmp_path: Path):  # type: ignore[no-untyped-def]
    def build(remote: Path, **kw: object) -> Runner:
        settings = Settings(
            remote=remote,
            root=tmp_path / "runner",
            action=ACTION,
            action_path=ROOT,
            repository="acme/maestro",
            api_url=str(kw.pop("api_url", "http://127.0.0.1:9")),
            secrets=dict(kw.pop("secrets", {})),  # type: ignore[call-overload]
            **kw,  # type: ignore[arg-type]
        )
        return Runner(settings)

    return build
