"""The `github_emulator` fixture: a schema-validating GitHub on 127.0.0.1.

Yields the emulator: `.url` (API base, GHES-style `/api/v3`), `.state` (repos, rulesets,
environments, releases, assets, pulls, teams, users), `.requests` (log), `.fail(...)` (faults),
`.latency`, `.transport()` (in-process httpx transport), `TOKEN`. A request GitHub's OpenAPI
description rejects, or a response it would not produce, fails the test at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulators.github.core import TOKEN, GitHubEmulator
from tests.emulators.github.server import EmulatorServer

__all__ = ["TOKEN", "GitHubEmulator", "github_emulator"]


@pytest.fixture(scope="session")
def _github_openapi() -> None:
    """Parse the 13 MB description once per session."""
    from tests.emulators.github import spec

    spec.openapi()


@pytest.fixture
def github_emulator(
    _github_openapi: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GitHubEmulator]:
    emulator = GitHubEmulator(validate=True)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with EmulatorServer(emulator):
        yield emulator
    assert not emulator.violations, "GitHub's OpenAPI description rejects:\n" + "\n".join(
        emulator.violations
    )
