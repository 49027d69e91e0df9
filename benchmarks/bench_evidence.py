"""Evidence and secrets speed: `secrets check` on a synthetic repository and CI log against
detect-secrets' own CLI on the same files; building and verifying an evidence bundle.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/bench_evidence.py [FILES] [LOG_LINES]
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.evidence.factory import CUT, DIGEST, points, seed_train
from tests.secrets.repo import git, github_token, write

from trainmaster.config.loader import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.evidence.bundle import build_evidence, verify_bundle
from trainmaster.evidence.secrets.scan import check_secrets
from trainmaster.store import open_store
from trainmaster.store.models import GateResultRow

BIN = Path(sys.executable).parent


def source_file(rng: random.Random, lines: int) -> str:
    words = ["deploy", "config", "release", "return", "value", "self", "train", "import"]
    body = []
    for i in range(lines):
        sha = f"{rng.getrandbits(160):040x}"
        body.append(f"    {rng.choice(words)}_{i} = compute('{rng.choice(words)}', '{sha}')")
    return "def f():\n" + "\n".join(body) + "\n"


def make_repo(root: Path, files: int) -> None:
    rng = random.Random(7)
    for i in range(files):
        write(root, f"pkg{i % 20}/mod_{i}.py", source_file(rng, 150))
    write(root, "pkg0/leak.py", f'TOKEN = "{github_token()}"\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "synthetic")


def make_log(path: Path, lines: int) -> None:
    rng = random.Random(11)
    with path.open("w") as out:
        for i in range(lines):
            sha = f"{rng.getrandbits(160):040x}"
            out.write(f"2026-11-29T10:{i % 60:02d}:00.0000000Z step {i}: checkout {sha} ok\n")


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def row(name: str, samples: list[float]) -> str:
    return f"| {name} | {statistics.median(samples):.0f} | {max(samples):.0f} | {len(samples)} |"


def secrets_rows(base: Path, files: int, log_lines: int) -> list[str]:
    repo, log = base / "repo", base / "ci.log"
    make_repo(repo, files)
    make_log(log, log_lines)
    found = check_secrets(repo).findings
    assert [f.rule for f in found] == ["github-token"], found

    def peer_tree() -> None:
        subprocess.run(
            [str(BIN / "detect-secrets"), "scan", str(repo)],
            capture_output=True,
            check=True,
            cwd=repo,
        )

    def peer_log() -> None:
        subprocess.run(
            [str(BIN / "detect-secrets"), "scan", "--all-files", str(log)],
            capture_output=True,
            check=True,
            cwd=base,
        )

    def ours_cli(*args: str) -> Callable[[], None]:
        return lambda: subprocess.run(
            [str(BIN / "trainmaster"), "secrets", "check", *args],
            capture_output=True,
            check=False,
            cwd=base,
        )

    return [
        row(
            f"trainmaster secrets check: tree of {files} files ({files * 150} lines)",
            timed(ours_cli(str(repo)), 3),
        ),
        row("detect-secrets scan: the same tree (peer)", timed(peer_tree, 3)),
        row(
            f"trainmaster secrets check --logs: {log_lines} log lines",
            timed(ours_cli(str(base / "empty"), "--logs", str(log)), 3),
        ),
        row("detect-secrets scan --all-files: the same log (peer)", timed(peer_log, 1)),
        row(
            "trainmaster secrets check --history (1 commit)",
            timed(ours_cli(str(repo), "--history"), 3),
        ),
    ]


def evidence_rows(base: Path, gates: int) -> list[str]:
    store = open_store(f"sqlite:///{base / 'state.db'}", base, upgrade=True)
    seed_train(store)
    with store.transaction() as session:
        for i in range(gates):
            evidence = {
                "name": f"signal-{i}",
                "verdict": "pass",
                "value": 0.1,
                "threshold": 1.0,
                "points": points(CUT, [0.1 + 0.01 * j for j in range(120)]),
            }
            session.add(
                GateResultRow(
                    train_id="v1.4.0",
                    stage="stage",
                    digest=DIGEST,
                    gate=f"signal-{i}",
                    verdict="pass",
                    evidence=json.dumps(evidence),
                    evaluated_at=CUT + timedelta(minutes=i),
                )
            )
    policy = parse_policy(seed_policy_text())
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    out = base / "out"

    def build() -> None:
        build_evidence(store, policy, "v1.4.0", out_dir=out, signing_key=key)

    rows = [row(f"build_evidence: {gates + 3} gate results, {gates + 1} charts", timed(build, 3))]
    bundle = out / "evidence-v1.4.0.tar.gz"
    rows.append(
        row(
            f"verify_bundle ({bundle.stat().st_size // 1024} KiB)",
            timed(lambda: verify_bundle(bundle, key.public_key()), 10),
        )
    )
    store.dispose()
    return rows


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    log_lines = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    base = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    (base / "empty").mkdir()
    try:
        print("| operation | median ms | max ms | runs |\n|:---|---:|---:|---:|")
        for line in secrets_rows(base, files, log_lines) + evidence_rows(base, 20):
            print(line, flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
