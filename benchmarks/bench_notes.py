"""P4 — release notes at the speed of git: trainmaster vs git-cliff vs commitizen, side by side.

    .venv/bin/python benchmarks/bench_notes.py [--source URL_OR_PATH] [--tools DIR]
        [--baseline PYTHONPATH] [--write]

Clones the source (default: the public renovatebot/renovate repository, or its local mirror)
into the ignored `work-bench/` folder, then times, with wall clocks around whole processes
(interpreter start included): bare `git log`, `trainmaster notes`, `git-cliff` and
`cz changelog --dry-run`, for the whole history and for a ~1,000-commit range between two
release tags; then trainmaster on growing ranges (is the cost linear in commits?) and on the
same range in a clone without tags (is it independent of tags outside the range?). `--write`
puts the table into docs/benchmarks.md. git-cliff and commitizen come from PyPI into a
separate virtualenv (`--tools`, default work-bench/tools) so the project's stays clean.
`--baseline` also times trainmaster from other source trees (e.g. a `git worktree` of an older
commit and the Typer it ran with), in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "work-bench"
MIRROR = Path("/work/.mirror/renovatebot+renovate/repo")
PUBLIC = "https://github.com/renovatebot/renovate"
TIMEOUT = 60.0  # git-cliff 2.14 is quadratic: the issue saw it run over 30 minutes
BEGIN, END = "<!-- bench_notes:begin -->", "<!-- bench_notes:end -->"
BASELINE_NAME = "61491ee, typer 0.29"
CPU: dict[str, float] = {}


def sh(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def clone(source: str, name: str, *extra: str) -> Path:
    target = BENCH / name
    if not (target / ".git").exists():
        shutil.rmtree(target, ignore_errors=True)
        sh("git", "clone", "--quiet", "--no-checkout", *extra, source, str(target))
    return target


def timed(cmd: list[str], cwd: Path, runs: int) -> float | None:
    """Median wall time of `runs` runs; None when a run fails or passes TIMEOUT. The median CPU
    time (user + system of the process and its children, e.g. git) goes to CPU[command]."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        try:
            done = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return None
        if done.returncode != 0:
            sys.stderr.write(f"{' '.join(cmd)} failed: {done.stderr.decode()[-400:]}\n")
            return None
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    CPU[" ".join(cmd)] = statistics.median(cpu)
    return statistics.median(times)


def range_start(repo: Path, size: int) -> str:
    """The release tag ~`size` first-parent commits behind HEAD (a real release range)."""
    tags = sh("git", "tag", "--merged", "HEAD", "--sort=-creatordate", "--list", "[0-9]*", cwd=repo)
    for tag in tags.splitlines():
        if int(sh("git", "rev-list", "--count", f"{tag}..HEAD", cwd=repo)) >= size:
            return tag
    raise SystemExit("no release tag far enough back")


def tool(tools: Path, name: str) -> str:
    found = tools / "bin" / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(MIRROR) if MIRROR.exists() else PUBLIC)
    parser.add_argument("--tools", type=Path, default=BENCH / "tools")
    parser.add_argument("--size", type=int, default=1000, help="commits in the range")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--extra-cliff",
        type=Path,
        action="append",
        default=[BENCH / "tools212"],
        help="another virtualenv with a git-cliff version to compare (default work-bench/tools212)",
    )
    parser.add_argument(
        "--baseline", default="", help="PYTHONPATH of an older trainmaster to time beside"
    )
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    BENCH.mkdir(exist_ok=True)
    compile_bytecode([str(ROOT / "src"), *filter(None, args.baseline.split(":"))])
    repo = clone(args.source, "renovate")
    untagged = clone(str(repo), "renovate-notags", "--no-tags")
    (repo / ".cz.toml").write_text('[tool.commitizen]\nname = "cz_conventional_commits"\n')
    start = range_start(repo, args.size)
    span = f"{start}..HEAD"
    commits = int(sh("git", "rev-list", "--count", "HEAD", cwd=repo))
    in_range = int(sh("git", "rev-list", "--count", span, cwd=repo))
    tags = len(sh("git", "tag", cwd=repo).splitlines())
    tm = str(ROOT / ".venv" / "bin" / "trainmaster")
    cliffs = [tool(args.tools, "git-cliff")] + [
        str(extra / "bin" / "git-cliff") for extra in args.extra_cliff if extra.exists()
    ]
    cz = tool(args.tools, "cz")
    git_log = ["git", "log", "-z", "--format=%H%x00%an%x00%ae%x00%aI%x00%B"]
    rows = [
        ("git log (machine format)", [*git_log, "HEAD"], [*git_log, span]),
        ("trainmaster notes", [tm, "notes", "HEAD"], [tm, "notes", span]),
        *(
            (f"trainmaster before issue 16 ({BASELINE_NAME})",
             ["env", f"PYTHONPATH={args.baseline}", tm, "notes", "HEAD"],
             ["env", f"PYTHONPATH={args.baseline}", tm, "notes", span])
            for _ in [1] if args.baseline
        ),
        *((version([cliff, "--version"]), [cliff], [cliff, span]) for cliff in cliffs),
        (f"commitizen {version([cz, 'version'])} (cz changelog --dry-run)",
         [cz, "changelog", "--dry-run"], [cz, "changelog", "--dry-run", "--start-rev", start]),
    ]  # fmt: skip
    results = []
    cpus: dict[str, tuple[float | None, float | None]] = {}
    for label, whole, ranged in rows:
        results.append((label, timed(whole, repo, args.runs), timed(ranged, repo, args.runs)))
        cpus[label] = (CPU.get(" ".join(whole)), CPU.get(" ".join(ranged)))
        print(f"{label}: {results[-1][1]} / {results[-1][2]}", flush=True)
    linear = []
    for size in (1000, 4000, 16000):
        linear.append((size, timed([tm, "notes", f"HEAD~{size}..HEAD"], repo, args.runs)))
    linear.append((commits, next(r[1] for r in results if r[0] == "trainmaster notes")))
    no_tags = timed([tm, "notes", f"{sh('git', 'rev-parse', start + '^{commit}', cwd=repo)}..HEAD"],
                    untagged, args.runs)  # fmt: skip
    load = os.getloadavg()[0]
    table = render(commits, tags, in_range, span, results, linear, no_tags, args.runs, cpus, load)
    print(table)
    if args.write:
        write(table)


def compile_bytecode(trees: list[str]) -> None:
    """An installed CLI runs from bytecode; an editable checkout has none until it is written
    (and PYTHONDONTWRITEBYTECODE may forbid that): compile it once, as pip does on install."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for tree in trees:
        subprocess.run([sys.executable, "-m", "compileall", "-q", tree], env=env, check=False,
                       capture_output=True)  # fmt: skip


def version(cmd: list[str]) -> str:
    try:
        return sh(*cmd).splitlines()[0]
    except (OSError, subprocess.CalledProcessError):
        return "?"


def fmt(value: float | None) -> str:
    return f"> {TIMEOUT:.0f} s (stopped)" if value is None else f"{value:.2f} s"


def render(commits, tags, in_range, span, results, linear, no_tags, runs, cpus, load) -> str:  # type: ignore[no-untyped-def]
    ours = next(r for r in results if r[0] == "trainmaster notes")
    lines = [
        "## P4 — release notes (issues 9 and 16)",
        "",
        f"renovatebot/renovate: {commits:,} commits, {tags:,} tags; range `{span}` = {in_range:,} "
        f"commits. Median of {runs} runs, wall clock around the whole process (interpreter start "
        f"included), {os.cpu_count()} cores, while other work shared the machine (load average "
        f"{load:.1f} at the end); runs past {TIMEOUT:.0f} s are stopped. CPU is user + system "
        "time of the process and its children (git), the part of the wall time that was work.",
        "",
        "Goals (issue 16, raised from issue 9's 1.5 s / 0.3 s): the whole history in ≤ 0.8 s and "
        "a 1,000-commit range in ≤ 0.15 s, interpreter start included; linear in commits; "
        "independent of tags outside the range; faster than every peer in the same run.",
        "",
        "| tool | whole history | ~1,000-commit range | its time ÷ trainmaster's (whole / range) "
        "| CPU (whole / range) |",
        "|---|---|---|---|---|",
    ]
    for label, whole, ranged in results:
        ratio = "—"
        if label != ours[0] and ours[1] and ours[2]:
            ratio = f"{_ratio(whole, ours[1])} / {_ratio(ranged, ours[2])}"
        cpu = " / ".join("—" if c is None else f"{c:.2f} s" for c in cpus.get(label, (None, None)))
        lines.append(f"| {label} | {fmt(whole)} | {fmt(ranged)} | {ratio} | {cpu} |")
    lines += [
        "",
        "Linear in commits (`trainmaster notes HEAD~N..HEAD`, N commits → time): "
        + ", ".join(f"{n:,} → {fmt(t)}" for n, t in linear)
        + f"; about {_slope(linear):.2f} s per 10,000 commits on top of a fixed start-up"
        + f". The same range in a clone with no tags: {fmt(no_tags)} (tags outside the range are "
        "never read).",
        "",
        "Reproduce: `.venv/bin/python benchmarks/bench_notes.py --write` (clones into "
        "`work-bench/`; add `--baseline work-bench/base/src:work-bench/typer029` for the "
        "before row: `git worktree add work-bench/base 61491ee` and "
        "`pip install --no-deps --target work-bench/typer029 typer==0.29.2`). First install the "
        "peers from PyPI: `python3 -m venv work-bench/tools && "
        "work-bench/tools/bin/pip install git-cliff commitizen`, and git-cliff 2.12.0 the same "
        "way into `work-bench/tools212`.",
    ]
    return "\n".join(lines)


def _ratio(theirs: float | None, ours: float) -> str:
    return f"> {TIMEOUT / ours:.0f}×" if theirs is None else f"{theirs / ours:.1f}×"


def _slope(points: list[tuple[int, float | None]]) -> float:
    known = [(n, t) for n, t in points if t is not None]
    (n0, t0), (n1, t1) = known[0], known[-1]
    return (t1 - t0) / (n1 - n0) * 10_000


def write(table: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{table}\n{END}"
    if BEGIN in text:
        head, _, rest = text.partition(BEGIN)
        text = head + block + rest.partition(END)[2]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
