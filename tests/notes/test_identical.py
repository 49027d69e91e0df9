"""Notes stay byte-identical while they get faster.

The digests below are of the output of trainmaster at commit 61491ee (before the notes fast path,
the streamed parse and the cheaper template context), on the generated history of
`tests/notes/history.py`: every commit form except the three whose handling issue 16 changed on
purpose (GitHub's squashed reverts, a leading byte-order mark, leading whitespace; see
test_commits.py). Each case runs the real CLI in-process, with no policy file (the fast path) and
with one (the full Typer path).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notes.history import build_history

NO_POLICY: dict[tuple[str, ...], str] = {
    ("notes",): "73e1575a30c85f2adac182455c41f010039337bcacfe5b6b5b9b47901a7b2fc4",
    ("notes", "HEAD"): "415396d5deaa0a8d4c4361b01428d6931c4e840fde1abbbe249d01d4578100e2",
    (
        "notes",
        "HEAD",
        "--format",
        "json",
    ): "7c3ccda3e580b08138fc831dcda184d5e3cc305bb1bd71f554c76a891deb0e8f",
    (
        "notes",
        "HEAD",
        "--format",
        "slack",
    ): "5d3cc67e866874d47b43dd98846428fa13be8fe1a0baa054045698e2d411ac72",
    ("notes", "v1.0.0..v1.1.0"): "0c0b92e19e888666d9506d19479df114bc99b372fd0b7224b35b90e9d09a19af",
    (
        "--json",
        "notes",
        "v1.0.0..v1.1.0",
    ): "dccbf868f5f398bd5df3c4ae11f2c181e798d40080639a915715ca4ef02fece6",
    ("announce",): "849e5c23ff911079f99b1e450ff7273430b94df0ea1a6b3cca4d589eeeb66417",
    (
        "announce",
        "HEAD",
        "--format",
        "slack",
    ): "18c97ba37863eba9749ec366dc65780b295e4ea4b975a5131d128e6e5e100c34",
    (
        "announce",
        "v1.0.0..v1.1.0",
    ): "52c18eb6546db9e8fdab75de60b1128a874a6339f79b4039fc7f0ac76f3876a8",
}
WITH_POLICY: dict[tuple[str, ...], str] = {
    ("notes", "HEAD"): "16178c9f901667098f353e827698b01d6e3f0fd102af29d1f091b6818eae55ce",
    (
        "notes",
        "v1.0.0..v1.1.0",
        "--format",
        "slack",
    ): "5b8c6d06c090c46299f66259a154ea54793723d7a593e675321b12a31edf4f44",
    (
        "announce",
        "v1.0.0..v1.1.0",
    ): "0b7ee5d8f246d606b8b4fd2e3e342b675724b62940d86eafbbe95ed6172d0ba7",
}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_history(tmp_path_factory.mktemp("history") / "repo")


@pytest.fixture(scope="module")
def with_policy(history: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    clone = tmp_path_factory.mktemp("policy") / "repo"
    subprocess.run(["git", "clone", "-q", str(history), str(clone)], check=True)
    subprocess.run(["git", "fetch", "-q", "--tags"], cwd=clone, check=True)
    _trainmaster(clone, "init", "--owner", "acme", "--repo", "maestro")
    yield clone


def _trainmaster(cwd: Path, *args: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "trainmaster", *args], cwd=cwd, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.mark.parametrize("args", list(NO_POLICY), ids=" ".join)
def test_notes_without_a_policy_are_unchanged(history: Path, args: tuple[str, ...]) -> None:
    out = _trainmaster(history, *args)
    assert hashlib.sha256(out).hexdigest() == NO_POLICY[args], out[-400:].decode()


@pytest.mark.parametrize("args", list(WITH_POLICY), ids=" ".join)
def test_notes_with_a_policy_are_unchanged(with_policy: Path, args: tuple[str, ...]) -> None:
    out = _trainmaster(with_policy, *args)
    assert hashlib.sha256(out).hexdigest() == WITH_POLICY[args], out[-400:].decode()
