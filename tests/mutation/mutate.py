"""`make mutate`: mutmut over the pure decision modules, one module at a time.

Each module is mutated in its own workspace (`.mutation/<name>/`) and tested only with its own
fast, pure tests, so a run takes minutes and mutmut's incremental cache (in that workspace's
`mutants/`) retests only the mutants whose function changed (the cache is dropped when the
module's tests change). Usage:

    python tests/mutation/mutate.py                # every module in MODULES, in order
    python tests/mutation/mutate.py approvals      # one module
    python tests/mutation/mutate.py --fresh chain  # forget the cache first
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".mutation"

# module name -> (source file, the fast pure tests that pin its rules)
MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "approvals": ("src/trainmaster/train/approvals.py", ("tests/train/test_rules.py",)),
    "redaction": ("src/trainmaster/redaction.py", ("tests/secrets/test_redaction.py",)),
    "chain": ("src/trainmaster/audit/chain.py", ("tests/audit/test_chain.py",)),
    "version": ("src/trainmaster/train/version.py", ("tests/train/test_version.py",)),
    "contexts": (
        "src/trainmaster/checks/contexts.py",
        ("tests/checks/test_source.py", "tests/checks/test_generate.py"),
    ),
    "diff": ("src/trainmaster/governance/diff.py", ("tests/governance/test_diff.py",)),
    "judge": ("src/trainmaster/gates/judge.py", ("tests/gates/test_judge.py",)),
}


def _config(source: str, tests: tuple[str, ...]) -> str:
    selection = ", ".join(f'"{t}"' for t in tests)
    return (
        "[tool.mutmut]\n"
        'source_paths = ["src/"]\n'
        f'only_mutate = ["{source}"]\n'
        f"pytest_add_cli_args_test_selection = [{selection}]\n"
        'pytest_add_cli_args = ["-p", "no:randomly", "-p", "no:cacheprovider", "-q"]\n'
    )


def _workspace(name: str) -> Path:
    """A directory whose src/ and tests/ are the repository's, with this module's config."""
    place = WORK / name
    place.mkdir(parents=True, exist_ok=True)
    for part in ("src", "tests"):
        link = place / part
        if not link.exists():
            link.symlink_to(ROOT / part)
    source, tests = MODULES[name]
    (place / "pyproject.toml").write_text(_config(source, tests), encoding="utf-8")
    return place


def mutate(name: str, fresh: bool = False) -> int:
    place = _workspace(name)
    mutmut = str(Path(sys.executable).parent / "mutmut")
    print(f"== {name}: {MODULES[name][0]} with {' '.join(MODULES[name][1])}", flush=True)
    # mutmut's cache follows the source, not the tests: when this module's tests changed, its
    # map of which test covers which mutant is stale, so the workspace starts again.
    tests_hash = _tests_hash(MODULES[name][1])
    stamp = place / "tests.sha256"
    if fresh or not stamp.exists() or stamp.read_text(encoding="utf-8") != tests_hash:
        shutil.rmtree(place / "mutants", ignore_errors=True)
    code = subprocess.call([mutmut, "run", "--max-children", "2"], cwd=place)
    stamp.write_text(tests_hash, encoding="utf-8")
    _summary(name, mutmut, place)
    return code


def _summary(name: str, mutmut: str, place: Path) -> None:
    """One line per module: how many mutants, and how many of them a test killed."""
    listed = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=place, capture_output=True, text=True, check=False
    )
    statuses = [
        line.rsplit(": ", 1)[-1].strip() for line in listed.stdout.splitlines() if ": " in line
    ]
    killed = statuses.count("killed")
    score = 100 * killed / len(statuses) if statuses else 0.0
    print(f"{name}: {len(statuses)} mutants, {killed} killed, {score:.1f} %", flush=True)
    for line in listed.stdout.splitlines():
        if ": " in line and not line.endswith("killed"):
            print("  " + line.strip(), flush=True)


def _tests_hash(tests: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for test in tests:
        digest.update((ROOT / test).read_bytes())
    return digest.hexdigest()


def _summary(name: str, mutmut: str, place: Path) -> None:
    """One line per module: how many mutants, and how many of them a test killed."""
    listed = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=place, capture_output=True, text=True, check=False
    )
    statuses = [
        line.rsplit(": ", 1)[-1].strip() for line in listed.stdout.splitlines() if ": " in line
    ]
    killed = statuses.count("killed")
    score = 100 * killed / len(statuses) if statuses else 0.0
    print(f"{name}: {len(statuses)} mutants, {killed} killed, {score:.1f} %", flush=True)
    for line in listed.stdout.splitlines():
        if ": " in line and not line.endswith("killed"):
            print("  " + line.strip(), flush=True)


def _survivors(mutmut: str, place: Path) -> list[str]:
    listed = subprocess.run(
        [mutmut, "results"], cwd=place, capture_output=True, text=True, check=False
    )
    return [
        line.split(":")[0].strip()
        for line in listed.stdout.splitlines()
        if line.rstrip().endswith(("survived", "no tests"))
    ]


def main(args: list[str]) -> int:
    fresh = "--fresh" in args  # forget the cache: every mutant is tested again
    names = [a for a in args if a != "--fresh"]
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"unknown module(s): {', '.join(unknown)}; known: {', '.join(MODULES)}")
        return 2
    codes = [mutate(name, fresh) for name in names or list(MODULES)]
    return max(codes, default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
