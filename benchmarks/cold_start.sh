#!/usr/bin/env bash
# CLI start-up (issue 16): every `validate` <= 0.25 s (a first validation of a new file included)
# and `--help` of every command group <= 0.15 s, against the interpreter's own start-up in the
# same hyperfine run.
#
# Usage: benchmarks/cold_start.sh [BASELINE_PYTHONPATH]
#   BASELINE_PYTHONPATH: source trees to time the same commands from, e.g. an older checkout
#   (`git worktree add work-bench/base <commit>`) and the Typer it ran with:
#   benchmarks/cold_start.sh "$PWD/work-bench/base/src:$PWD/work-bench/typer029"
# Needs hyperfine (installed with apt-get when missing and running as root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.venv/bin"
baseline=${1:-}
if ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq hyperfine >/dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine; }
  else
    echo "cold_start.sh needs hyperfine: sudo apt-get install hyperfine" >&2
    exit 1
  fi
fi
# An installed CLI runs from bytecode; an editable checkout has none until something writes it.
for tree in "$root/src" ${baseline//:/ }; do
  env -u PYTHONDONTWRITEBYTECODE "$bin/python" -m compileall -q "$tree" >/dev/null || true
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export XDG_CACHE_HOME="$work/cache"
"$bin/trainmaster" init --owner acme --repo maestro >/dev/null
"$bin/trainmaster" validate >/dev/null # the first run validates in full and records the result
groups=$("$bin/python" -c 'from trainmaster.cli.app import COMMAND_MODULES as m
print(" ".join(n for names in m.values() for n in names))')
runs=${RUNS:-20}
commands=(-n "python -c pass" "$bin/python -c pass"
  -n "trainmaster --version" "$bin/trainmaster --version"
  -n "validate (policy recorded)" "$bin/trainmaster validate"
  -n "validate (first validation: no record)" "env XDG_CACHE_HOME=$work/cold $bin/trainmaster validate"
  -n "trainmaster --help" "$bin/trainmaster --help")
for group in $groups; do
  commands+=(-n "trainmaster $group --help" "$bin/trainmaster $group --help")
done
if [ -n "$baseline" ]; then
  # the baseline validates the policy its own `init` writes, and lists its own command groups
  mkdir "$work/base"
  (cd "$work/base" && env PYTHONPATH="$baseline" "$bin/trainmaster" init >/dev/null)
  commands+=(-n "baseline: validate (first validation: no record)"
    "env XDG_CACHE_HOME=$work/cold PYTHONPATH=$baseline $bin/trainmaster validate $work/base/trainmaster.yaml")
  base_groups=$(env PYTHONPATH="$baseline" "$bin/python" -c 'from trainmaster.cli.app import COMMAND_MODULES as m
print(" ".join(n for names in m.values() for n in names))')
  for group in "" $base_groups; do
    commands+=(-n "baseline: trainmaster $group --help" "env PYTHONPATH=$baseline $bin/trainmaster $group --help")
  done
fi
# $work/cold is emptied before every run: each "first validation" finds no record
load_before=$(cut -d' ' -f1 /proc/loadavg)
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/cold.json" \
  --prepare "rm -rf $work/cold" \
  "${commands[@]}" >/dev/null
# Wall time is what the goals name; CPU time (user + system, children included) says how much
# of it was work rather than waiting for a core on a shared machine.
"$bin/python" - "$work/cold.json" "$load_before" <<'PY'
import json, os, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["mean"]
print(f"load average {sys.argv[2]} before, {os.getloadavg()[0]:.1f} after, "
      f"{os.cpu_count()} cores\n")
print("| command | wall mean ± σ [ms] | median [ms] | CPU [ms] | wall ÷ `python -c pass` |")
print("|:---|---:|---:|---:|---:|")
for r in results:
    cpu = (r["user"] + r["system"]) * 1000
    print(f"| `{r['command']}` | {r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f} "
          f"| {r['median'] * 1000:.1f} | {cpu:.1f} | {r['mean'] / base:.2f} |")
PY
