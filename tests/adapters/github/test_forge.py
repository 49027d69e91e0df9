"""The Forge over the schema-validating GitHub emulator (real HTTP on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.emulators.github.fixtures import GitHubEmulator
from trainmaster.adapters.github import forge_for
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.forge import Forge


@pytest.fixture
def forge(github_emulator: GitHubEmulator) -> Forge:
    github_emulator.state.add_repo("acme/app")
    policy = parse_policy(seed_policy_text())
    made = forge_for(policy, api_url=github_emulator.url)
    assert made is not None
    return made


def test_forge_none_backend_gives_no_forge() -> None:
    text = seed_policy_text().replace("forge: github", "forge: none")
    assert forge_for(parse_policy(text)) is None


def test_release_is_created_once_and_found_as_draft(
    forge: Forge, github_emulator: GitHubEmulator
) -> None:
    assert forge.find_release("acme/app", "v1.0.0") is None
    made = forge.create_release("acme/app", tag="v1.0.0", name="v1.0.0", body="notes")
    again = forge.create_release("acme/app", tag="v1.0.0", name="v1.0.0", body="notes")
    assert made == again and made.draft
    assert forge.find_release("acme/app", "v1.0.0") == made
    posts = [r for r in github_emulator.requests if r.method == "POST"]
    assert len(posts) == 1


def test_asset_upload_goes_to_uploads_host_and_is_idempotent(
    forge: Forge, github_emulator: GitHubEmulator, tmp_path: Path
) -> None:
    release = forge.create_release("acme/app", tag="v1.0.0", name="v1", body="")
    pack = tmp_path / "evidence.tar.gz"
    pack.write_bytes(b"first")
    url = forge.upload_release_asset("acme/app", release.id, pack)
    assert url.endswith("/releases/download/evidence.tar.gz")
    assert forge.upload_release_asset("acme/app", release.id, pack) == url
    assert len(github_emulator.state.assets) == 1
    pack.write_bytes(b"second, different")
    forge.upload_release_asset("acme/app", release.id, pack)
    (asset,) = github_emulator.state.assets.values()
    assert asset["size"] == len(b"second, different")
    uploads = [r for r in github_emulator.requests if r.method == "POST" and "assets" in r.path]
    assert len(uploads) == 2


def test_pull_request_is_reused_when_open(forge: Forge, github_emulator: GitHubEmulator) -> None:
    github_emulator.state.repos["acme/app"].branches.add("release/1.0")
    first = forge.open_pull_request(
        "acme/app", head="release/1.0", base="main", title="t", body="b"
    )
    second = forge.open_pull_request(
        "acme/app", head="release/1.0", base="main", title="t", body="b"
    )
    assert first == second and first.state == "open"
    github_emulator.state.pulls["acme/app"][first.number]["merged_at"] = "2025-01-01T00:00:00Z"
    assert forge.pull_request("acme/app", first.number).state == "merged"
