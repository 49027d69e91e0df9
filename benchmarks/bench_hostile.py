"""Hostile input is refused at the cost of reading ordinary input, not of the attack.

Each hostile case is timed next to the ordinary input it imitates, in the same run, and reported
as a ratio: a 1 KB YAML alias bomb in the policy (before the limits it expanded for 33 s and 2 GB)
against the seed policy; a 400-byte workflow whose matrix has 60 million combinations, and three
workflows calling each other with 200-entry matrices (8 million jobs), against an ordinary
matrix workflow; a 100,000-deep JSON array against a k6 summary.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import json
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from trainmaster.checks.contexts import predict
from trainmaster.checks.workflow import read_workflow
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import TrainmasterError
from trainmaster.gates.inputs import parse_k6

BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
)
MATRIX_60M = "on: pull_request\njobs:\n  build:\n    runs-on: x\n    strategy:\n      matrix:\n" + (
    "\n".join(f"        k{i}: [1, 2, 3, 4, 5, 6]" for i in range(10))
)
ORDINARY = (
    "on: pull_request\njobs:\n  build:\n    runs-on: x\n    strategy:\n      matrix:\n"
    "        py: ['3.11', '3.12', '3.13']\n        os: [ubuntu, macos]\n"
)
K6 = json.dumps({"metrics": {"http_req_failed": {"thresholds": {"rate<0.01": True}}}})


def _chain(fan: int) -> dict[str, Any]:
    found = {}
    for level in range(3):
        path = f".github/workflows/w{level}.yml"
        on = "pull_request" if level == 0 else "workflow_call"
        job = (
            "    runs-on: x\n"
            if level == 2
            else f"    uses: ./.github/workflows/w{level + 1}.yml\n"
        )
        matrix = f"    strategy:\n      matrix:\n        n: {list(range(fan))}\n"
        text = f"on: {on}\njobs:\n  j:\n{job}{matrix}"
        found[path] = read_workflow(text, path)[0]
    return found


def _refused(work: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        try:
            return work()
        except TrainmasterError as e:
            return e

    return run


def measure(work: Callable[[], object], rounds: int = 7) -> tuple[float, int]:
    """Median seconds and peak bytes of Python allocations."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> None:
    seed = seed_policy_text("acme", "maestro")
    cases = [
        (
            "policy alias bomb (1 KB)",
            lambda: parse_policy(BOMB),
            "seed policy",
            lambda: parse_policy(seed),
        ),
        (
            "matrix of 60M combinations",
            lambda: predict({"w.yml": read_workflow(MATRIX_60M, "w.yml")[0]}),
            "6-combination matrix",
            lambda: predict({"w.yml": read_workflow(ORDINARY, "w.yml")[0]}),
        ),
        (
            "3 calls x 200-entry matrices",
            lambda: predict(_chain(200)),
            "3 calls x 4-entry matrices",
            lambda: predict(_chain(4)),
        ),
        (
            "JSON 100,000 deep",
            lambda: parse_k6("[" * 100_000 + "]" * 100_000, "k6"),
            "k6 summary",
            lambda: parse_k6(K6, "k6"),
        ),
    ]
    print("| hostile case | time | peak | ordinary input | time | peak | time ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, hostile, peer, ordinary in cases:
        bad_time, bad_peak = measure(_refused(hostile))
        ok_time, ok_peak = measure(_refused(ordinary))
        print(
            f"| {name} | {bad_time * 1000:.1f} ms | {bad_peak / 2**20:.1f} MiB | {peer} | "
            f"{ok_time * 1000:.1f} ms | {ok_peak / 2**20:.1f} MiB | {bad_time / ok_time:.1f}x |"
        )


if __name__ == "__main__":
    main()
