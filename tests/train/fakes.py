"""Fakes for the train's ports: a cluster that records every call, a forge, a verifier, a clock,
and real git repositories built in tmp_path."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trainmaster.forge import PullRef, ReleaseRef
from trainmaster.gates.verdict import Verdict
from trainmaster.rollout.port import RolloutState, Target
from trainmaster.train.verification import GateOutcome, Verification

DIGEST_A = "ghcr.io/acme/maestro@sha256:" + "a" * 64
DIGEST_B = "ghcr.io/acme/maestro@sha256:" + "b" * 64
DIGEST_C = "ghcr.io/acme/maestro@sha256:" + "c" * 64
DIGEST_OLD = "ghcr.io/acme/maestro@sha256:" + "0" * 64

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Author",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Author",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def commit(repo: Path, message: str, file: str | None = None) -> str:
    name = file or f"f{len(list(repo.glob('f*')))}.txt"
    (repo / name).write_text(message + "\n")
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_repo(path: Path, messages: list[str] | None = None, tag: str | None = "v1.0.0") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    commit(path, "chore: initial commit")
    if tag:
        git(path, "tag", "-a", tag, "-m", tag)
    for message in messages or []:
        commit(path, message)
    return path


class Clock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 5, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


class Crash(BaseException):
    """A simulated kill: BaseException so no `except Exception` in the code path swallows it."""


@dataclass
class FakeCluster:
    """Blue/green semantics: deploy puts the image in preview, promote makes it stable."""

    states: dict[str, RolloutState] = field(default_factory=dict)
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)
    crash_after_call: int | None = None  # raise Crash right after the Nth mutating call

    def status(self, target: Target) -> RolloutState:
        return self.states.get(
            target.stage,
            RolloutState(target, "Healthy", None, None, revision=0, paused=False),
        )

    def _record(self, verb: str, target: Target, image: str | None, new: RolloutState) -> None:
        self.states[target.stage] = new
        self.calls.append((verb, target.stage, image))
        if self.crash_after_call is not None and len(self.calls) >= self.crash_after_call:
            self.crash_after_call = None
            raise Crash(f"killed after {verb}")

    def deploy(self, target: Target, image: str) -> None:
        now = self.status(target)
        self._record(
            "deploy", target, image, replace(now, preview=image, revision=now.revision + 1)
        )

    def promote(self, target: Target, *, full: bool = False) -> None:
        now = self.status(target)
        self._record("promote", target, now.preview, replace(now, stable=now.preview, preview=None))

    def abort(self, target: Target) -> None:
        now = self.status(target)
        self._record("abort", target, None, replace(now, preview=None))

    def undo(self, target: Target, *, to_revision: int | None = None) -> None:
        now = self.status(target)
        self._record("undo", target, None, replace(now, revision=now.revision + 1))

    def pin(self, target: Target, image: str) -> None:
        now = self.status(target)
        self._record(
            "pin",
            target,
            image,
            replace(now, stable=image, preview=None, revision=now.revision + 1),
        )

    def close(self) -> None:
        """Nothing held."""


@dataclass
class FakeForge:
    releases: dict[str, ReleaseRef] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)
    pulls: list[tuple[str, str, str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def find_release(self, repo: str, tag: str) -> ReleaseRef | None:
        return self.releases.get(tag)

    def create_release(
        self,
        repo: str,
        *,
        tag: str,
        name: str,
        body: str,
        draft: bool = True,
        target: str | None = None,
    ) -> ReleaseRef:
        self.calls.append(f"release {tag}")
        ref = ReleaseRef(
            len(self.releases) + 1, tag, f"https://github.com/{repo}/releases/{tag}", draft
        )
        self.releases[tag] = ref
        self.bodies[tag] = body
        return ref

    def upload_release_asset(
        self, repo, release_id, path, *, name=None, content_type="application/gzip"
    ):  # type: ignore[no-untyped-def]
        return ""

    def open_pull_request(
        self, repo: str, *, head: str, base: str, title: str, body: str
    ) -> PullRef:
        for i, (h, b, _) in enumerate(self.pulls):
            if (h, b) == (head, base):
                return PullRef(i + 1, f"https://github.com/{repo}/pull/{i + 1}", "open")
        self.calls.append(f"pull {head}->{base}")
        self.pulls.append((head, base, title))
        return PullRef(len(self.pulls), f"https://github.com/{repo}/pull/{len(self.pulls)}", "open")

    def pull_request(self, repo: str, number: int) -> PullRef:
        return PullRef(number, "", "open")

    def close(self) -> None:
        """Nothing held."""


@dataclass
class FakeVerifier:
    """Returns `verdicts[gate]` (default pass) for every gate of the stage asked."""

    gates: dict[str, list[str]]
    verdicts: dict[str, str] = field(default_factory=dict)
    asked: list[tuple[str, str, tuple[str, ...] | None]] = field(default_factory=list)

    def verify(self, stage, digest, *, at, inputs=None, only=None):  # type: ignore[no-untyped-def]
        self.asked.append((stage, digest, tuple(only) if only is not None else None))
        names = list(only) if only is not None else self.gates[stage]
        return Verification(
            tuple(GateOutcome(g, Verdict(self.verdicts.get(g, "pass"))) for g in names)
        )


class FileCluster(FakeCluster):
    """A FakeCluster whose state and call log live in a JSON file, so a killed process's calls
    survive it (for the real SIGKILL test)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        if path.exists():
            import json

            data = json.loads(path.read_text())
            self.calls = [tuple(c) for c in data["calls"]]  # type: ignore[misc]
            self.states = {
                stage: RolloutState(
                    Target(stage, s["ns"], s["name"]),
                    "Healthy",
                    s["stable"],
                    s["preview"],
                    s["revision"],
                    False,
                )
                for stage, s in data["states"].items()
            }

    def _record(self, verb: str, target: Target, image: str | None, new: RolloutState) -> None:
        import json

        self.states[target.stage] = new
        self.calls.append((verb, target.stage, image))
        states = {
            k: {
                "ns": v.target.namespace,
                "name": v.target.name,
                "stable": v.stable,
                "preview": v.preview,
                "revision": v.revision,
            }
            for k, v in self.states.items()
        }
        self.path.write_text(json.dumps({"calls": self.calls, "states": states}))
