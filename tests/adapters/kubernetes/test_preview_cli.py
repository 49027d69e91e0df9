"""Preview environments against the Kubernetes emulator; the sweep asks the forge for PR state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.emulators.github.fixtures import GitHubEmulator
from tests.emulators.kubernetes.fixtures import Cluster
from trainmaster.config.seed import seed_policy_text
from trainmaster.forge import PullRef

OURS = {"app.kubernetes.io/managed-by": "trainmaster"}
PAST, FUTURE = "2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z"
EXPIRES = "trainmaster.dev/expires-at"


def _policy(tmp_path: Path, k8s: Cluster, *, forge: str = "none", api_url: str = "") -> Path:
    text = seed_policy_text("acme", "maestro").replace("forge: github", f"forge: {forge}")
    text = text.replace("\nbackends:\n", f"\nbackends:\n  kubeconfig: {k8s.kubeconfig}\n")
    if api_url:
        text = text.replace("api_url: https://api.github.com", f"api_url: {api_url}")
    path = tmp_path / "trainmaster.yaml"
    path.write_text(text)
    return path


@dataclass
class FakeForge:
    states: dict[int, str]
    asked: list[int]

    def pull_request(self, repo: str, number: int) -> PullRef:
        assert repo == "acme/maestro"
        self.asked.append(number)
        return PullRef(number, f"https://example.test/pull/{number}", self.states[number])  # type: ignore[arg-type]

    def close(self) -> None:
        """Nothing held."""


def _namespaces(k8s: Cluster) -> set[str]:
    return {key[2] for key in k8s.emulator.objects if key[0] == "namespaces"}


def test_up_labels_and_expiry_then_down(cli, tmp_path: Path, k8s: Cluster):
    _policy(tmp_path, k8s)
    dry = cli("preview", "up", "--pr", "42", "--dry-run")
    assert dry.code == 0 and "pr-42" in dry.out and _namespaces(k8s) == set()
    assert cli("preview", "up", "--pr", "42", "--reason", "review").code == 0
    ns = k8s.emulator.objects[("namespaces", "", "pr-42")]["metadata"]
    assert ns["labels"] == {**OURS, "trainmaster.dev/pr": "42"}
    assert ns["annotations"][EXPIRES].endswith("Z")  # the seed's 72h TTL
    assert cli("preview", "up", "--pr", "42").code == 0  # idempotent: merged, not duplicated
    assert cli("preview", "down", "--pr", "42").code == 0
    assert "pr-42" not in _namespaces(k8s)
    again = cli("preview", "down", "--pr", "42")
    assert again.code == 0 and "already gone" in again.out
    actions = [e["action"] for e in json.loads(cli("--json", "audit", "log").out)]
    assert actions == ["preview.up", "preview.up", "preview.down"]


def test_down_refuses_a_namespace_trainmaster_does_not_manage(cli, tmp_path: Path, k8s: Cluster):
    _policy(tmp_path, k8s)
    k8s.namespace("pr-5", {"team": "web"})
    result = cli("preview", "down", "--pr", "5")
    assert result.code == 2 and "not managed by trainmaster" in result.err
    assert "pr-5" in _namespaces(k8s)


def _seed_previews(k8s: Cluster) -> None:
    k8s.namespace("pr-1", {**OURS, "trainmaster.dev/pr": "1"}, **{EXPIRES: FUTURE})  # open
    k8s.namespace("pr-2", {**OURS, "trainmaster.dev/pr": "2"}, **{EXPIRES: PAST})  # expired
    k8s.namespace("pr-3", {**OURS, "trainmaster.dev/pr": "3"}, **{EXPIRES: FUTURE})  # closed
    k8s.namespace("pr-4", {**OURS, "trainmaster.dev/pr": "4"}, **{EXPIRES: FUTURE})  # merged
    k8s.namespace("pr-9", {"trainmaster.dev/pr": "9"}, **{EXPIRES: PAST})  # not ours
    k8s.namespace("maestro")


def test_sweep_deletes_exactly_expired_and_closed(cli, tmp_path, k8s, monkeypatch):
    _policy(tmp_path, k8s)
    _seed_previews(k8s)
    fake = FakeForge({1: "open", 2: "open", 3: "closed", 4: "merged"}, [])
    monkeypatch.setattr("trainmaster.adapters.github.forge_for", lambda policy, **kw: fake)
    plan = json.loads(cli("--json", "preview", "sweep", "--dry-run").out)
    assert [p["namespace"] for p in plan["plan"]] == ["pr-2", "pr-3", "pr-4"]
    assert plan["deleted"] == [] and {"pr-2", "pr-3"} <= _namespaces(k8s)
    result = cli("preview", "sweep")
    assert result.code == 0 and "delete pr-3: PR #3 is closed" in result.out
    assert _namespaces(k8s) == {"pr-1", "pr-9", "maestro"}
    assert sorted(set(fake.asked)) == [1, 2, 3, 4]
    audit = json.loads(cli("--json", "audit", "log", "--action", "preview.sweep").out)
    assert [e["target"] for e in audit] == ["pr-2", "pr-3", "pr-4"]


def test_sweep_stops_before_deleting_when_the_forge_fails(cli, tmp_path, k8s, monkeypatch):
    from trainmaster.errors import ExternalError

    _policy(tmp_path, k8s)
    _seed_previews(k8s)

    class Down:
        def pull_request(self, repo: str, number: int) -> PullRef:
            raise ExternalError("GitHub unreachable", temporary=True)

        def close(self) -> None:
            """Nothing held."""

    monkeypatch.setattr("trainmaster.adapters.github.forge_for", lambda policy, **kw: Down())
    result = cli("preview", "sweep")
    assert result.code == 4 and "pr-2" in _namespaces(k8s)


@pytest.mark.slow
def test_sweep_asks_the_github_emulator(cli, tmp_path, k8s, github_emulator: GitHubEmulator):
    github_emulator.state.add_repo("acme/maestro")
    pulls = github_emulator.state.pulls.setdefault("acme/maestro", {})
    for number, state in ((1, "open"), (2, "open"), (3, "closed"), (4, "closed")):
        pulls[number] = {"number": number, "state": state, "title": f"PR {number}",
                         "body": None, "head": f"feature-{number}", "base": "main"}  # fmt: skip
    pulls[4]["merged_at"] = "2026-01-01T00:00:00Z"
    _policy(tmp_path, k8s, forge="github", api_url=github_emulator.url)
    _seed_previews(k8s)
    result = cli("preview", "sweep")
    assert result.code == 0, result.err
    assert _namespaces(k8s) == {"pr-1", "pr-9", "maestro"}
    asked = {r.path for r in github_emulator.requests if r.method == "GET"}
    assert {p.rsplit("/", 1)[-1] for p in asked if "/pulls/" in p} == {"1", "2", "3", "4"}


def test_preview_image_is_for_the_local_target_only(cli, tmp_path: Path, k8s: Cluster):
    _policy(tmp_path, k8s)
    result = cli("preview", "up", "--pr", "3", "--image", "ghcr.io/a/b@sha256:" + "e" * 64)
    assert result.code == 2 and "local target only" in result.err
    assert "pr-3" not in _namespaces(k8s)
