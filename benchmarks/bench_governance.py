"""P3: drift check of 1,000 repos with no drift, 50 ms injected latency per request.

Runs the real governance service and GitHub client against the emulator's logic through an
in-process httpx transport (no sockets). Compares the shipped configuration (bounded concurrent
reads, ETags remembered from the previous run) with the same code serialized and without ETags.

    .venv/bin/python -m benchmarks.bench_governance --repos 1000 --latency 0.05
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from tests.emulators.github.core import TOKEN, GitHubEmulator

from trainmaster.adapters.github.auth import TokenCredentials
from trainmaster.adapters.github.client import GitHubClient, Settings
from trainmaster.adapters.github.etags import Cached, MemoryEtagCache
from trainmaster.adapters.github.governance import GitHubGovernance
from trainmaster.config import parse_policy
from trainmaster.config.model import Policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.governance import service


class NoEtags(MemoryEtagCache):
    """The baseline: nothing remembered, every GET a full 200."""

    def get(self, key: str) -> Cached | None:
        return None

    def put(self, key: str, etag: str, body: Any) -> None:
        return None


def setup(count: int) -> tuple[GitHubEmulator, Policy, list[str]]:
    emulator = GitHubEmulator(validate=False, url="http://127.0.0.1:1")
    repos = [f"acme/svc-{i:04d}" for i in range(count)]
    for repo in repos:
        emulator.state.add_repo(repo)
    emulator.state.add_team("acme", "release-captains")
    emulator.state.add_team("acme", "sre")
    emulator.state.add_app("trainmaster-release-bot")
    text = seed_policy_text().replace("https://api.github.com      #", f"{emulator.url}      #")
    return emulator, parse_policy(text), repos


def client(emulator: GitHubEmulator, etags: MemoryEtagCache, points: int = 0) -> GitHubClient:
    settings = Settings(write_interval=0, points_per_minute=points or None)
    creds = TokenCredentials(TOKEN)
    return GitHubClient(
        emulator.url, creds, transport=emulator.transport(), etags=etags, settings=settings
    )


def sweep(
    emulator: GitHubEmulator, policy: Policy, repos: list[str], api: GitHubGovernance, workers: int
) -> dict[str, float]:
    start_requests, start_used = len(emulator.requests), emulator.rate_used
    started = time.perf_counter()
    plans = service.plan(policy, api, repos, concurrency=workers)
    seconds = time.perf_counter() - started
    assert not any(p.actions or p.error for p in plans), "the benchmark expects no drift"
    sent = len(emulator.requests) - start_requests
    counted = emulator.rate_used - start_used
    return {
        "seconds": seconds,
        "requests_per_repo": sent / len(repos),
        "counted_per_repo": counted / len(repos),
        "secondary": emulator.secondary_sent,
        "peak_in_flight": emulator.peak_in_flight,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--baseline-repos", type=int, default=0, help="0: all repos")
    parser.add_argument(
        "--points-per-minute", type=int, default=0, help="pace as on GitHub.com (900); 0: off"
    )
    args = parser.parse_args()
    emulator, policy, repos = setup(args.repos)
    cache = MemoryEtagCache()
    api = GitHubGovernance(client(emulator, cache))
    converge = service.plan(policy, api, repos, concurrency=args.concurrency)
    service.apply(converge, api, lambda repo, action: None)  # the org now matches the policy

    emulator.latency = args.latency
    fresh = GitHubGovernance(client(emulator, MemoryEtagCache(), args.points_per_minute))
    cold = sweep(emulator, policy, repos, fresh, args.concurrency)  # first run: empty cache
    warm = sweep(emulator, policy, repos, fresh, args.concurrency)  # every later run
    sample = repos[: args.baseline_repos or len(repos)]
    serial_api = GitHubGovernance(client(emulator, NoEtags()))
    baseline = sweep(emulator, policy, sample, serial_api, 1)
    baseline_total = baseline["seconds"] * len(repos) / len(sample)

    print(f"repos={len(repos)} latency={args.latency * 1000:.0f}ms concurrency={args.concurrency}")
    for name, r in (("cold cache", cold), ("warm ETags", warm), ("baseline", baseline)):
        print(
            f"{name:>11}: {r['seconds']:8.2f} s  requests/repo {r['requests_per_repo']:.2f}  "
            f"counted against the limit/repo {r['counted_per_repo']:.2f}"
        )
    print(f"baseline over all repos: {baseline_total:.1f} s (sample {len(sample)})")
    print(f"speed-up warm vs baseline: {baseline_total / warm['seconds']:.1f}x")
    print(f"speed-up cold vs baseline: {baseline_total / cold['seconds']:.1f}x")
    print(f"secondary-limit responses: {warm['secondary']:.0f}")
    print(f"peak concurrent requests: {warm['peak_in_flight']:.0f}")


if __name__ == "__main__":
    main()
