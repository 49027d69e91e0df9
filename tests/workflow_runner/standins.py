"""Stand-ins for the third-party actions the generated workflows use (see the package docstring).

Each takes the step's `with:` inputs and the job's workspace and returns the step's outputs."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trainmaster.checks.generate import PINS


@dataclass(frozen=True)
class Place:
    """Where a stand-in works: the job's workspace, the repository it clones, the registry."""

    workspace: Path
    remote: Path
    registry: Path


StandIn = Callable[[dict[str, str], Place], dict[str, str]]


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def checkout(inputs: dict[str, str], place: Place) -> dict[str, str]:
    git("clone", "--quiet", "--no-local", str(place.remote), str(place.workspace), cwd=place.remote)
    if ref := inputs.get("ref"):
        git("checkout", "--quiet", ref, cwd=place.workspace)
    return {}


def nothing(_inputs: dict[str, str], _place: Place) -> dict[str, str]:
    return {}


def build_push(inputs: dict[str, str], place: Place) -> dict[str, str]:
    """The image is the checkout's tree as a tar (deterministic for a commit)."""
    context = place.workspace / inputs.get("context", ".")
    image = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=context, capture_output=True, check=True
    ).stdout
    digest = "sha256:" + hashlib.sha256(image).hexdigest()
    place.registry.mkdir(parents=True, exist_ok=True)
    (place.registry / f"{digest.removeprefix('sha256:')}.tar").write_bytes(image)
    return {"digest": digest, "imageid": digest}


STAND_INS: dict[str, StandIn] = {
    PINS["checkout"][0]: checkout,
    PINS["setup_python"][0]: nothing,
    PINS["setup_buildx"][0]: nothing,
    PINS["build_push"][0]: build_push,
}

DOCKER_SHIM = """#!/usr/bin/env bash
# The workflow runner's docker: only `docker login` (the password read from stdin).
if [ "$1" = "login" ]; then cat > /dev/null; echo "Login Succeeded"; exit 0; fi
echo "docker $1: not available in the workflow runner" >&2
exit 1
"""
