#!/usr/bin/env bash
# CLI cold start against the interpreter's own start-up (goal: within 3x of `python -c pass`).
# Usage: benchmarks/cold_start.sh   (needs hyperfine: apt-get install hyperfine)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.venv/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export XDG_CACHE_HOME="$work/cache"
"$bin/trainmaster" init --owner acme --repo maestro >/dev/null
"$bin/trainmaster" validate >/dev/null   # the first run validates in full and records the result
hyperfine -N --warmup 5 --runs 40 --export-markdown "$work/cold.md" \
  -n "python -c pass" "$bin/python -c pass" \
  -n "trainmaster --version" "$bin/trainmaster --version" \
  -n "trainmaster validate (unchanged policy)" "$bin/trainmaster validate" \
  -n "trainmaster --debug validate (full validation, cache bypassed)" \
  "$bin/trainmaster --debug validate" >/dev/null
cat "$work/cold.md"
