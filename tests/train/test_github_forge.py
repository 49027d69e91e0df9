"""Cut and hotfix through the real GitHub adapter, against the schema-validating emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.emulators.github.fixtures import (  # the emulator's fixtures, used by name
    GitHubEmulator,
    _github_openapi,  # noqa: F401
    github_emulator,  # noqa: F401
)
from tests.train.conftest import Rig
from tests.train.fakes import commit
from trainmaster.adapters.github import forge_for
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.store import Store


@pytest.mark.slow
def test_release_draft_and_back_merge_pull_request(
    github_emulator: GitHubEmulator,  # noqa: F811
    store: Store,
    repo: Path,
) -> None:
    github_emulator.state.add_repo("acme/maestro")
    policy = parse_policy(seed_policy_text("acme", "maestro"))
    rig = Rig(policy, store, repo)
    forge = forge_for(policy, api_url=github_emulator.url)
    plan = rig.service(forge=forge).cut()
    release = forge.find_release("acme/maestro", plan.tag)  # type: ignore[union-attr]
    assert release is not None and release.draft
    fix = commit(repo, "fix(payments): stop double charges (#99)", file="pay.txt")
    rig.service("oncall", forge=forge).hotfix("v1.0.0", [fix])
    pulls = list(github_emulator.state.pulls["acme/maestro"].values())
    assert [(p["head"], p["base"]) for p in pulls] == [("hotfix/1.0.1", "main")]
    # resuming finds the release and the pull request instead of making them again
    posts = len([r for r in github_emulator.requests if r.method == "POST"])
    rig.service(forge=forge).resume()
    assert len([r for r in github_emulator.requests if r.method == "POST"]) == posts
