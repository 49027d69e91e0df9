#!/usr/bin/env bash
# Step 2 of the trainmaster action: run one trainmaster command; its `--json` stdout and exit
# code become the step's outputs, and a line per command goes to the job's step summary.
set -uo pipefail
: "${TRAINMASTER_BIN:?trainmaster is not installed}"
flags=()
[ "${TRAINMASTER_JSON:-true}" = "true" ] && flags+=(--json)
out="$(mktemp "$RUNNER_TEMP/trainmaster-XXXXXX")"
# The args are a command line written by the workflow's author, read as a `run:` line would be
# (so "$TRAIN" expands from the step's env); untrusted values must arrive through env.
eval "\"\$TRAINMASTER_BIN\" \${flags[@]+\"\${flags[@]}\"} $TRAINMASTER_ARGS" > "$out"
code=$?
cat "$out"
if [ "${TRAINMASTER_JSON:-true}" = "true" ]; then
  delimiter="TRAINMASTER_JSON_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  { echo "json<<$delimiter"; cat "$out"; echo "$delimiter"; } >> "$GITHUB_OUTPUT"
fi
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
case "$code" in
  0) meaning="ok" ;;
  1) meaning="a check or gate failed" ;;
  2) meaning="usage or policy error" ;;
  3) meaning="inconclusive" ;;
  4) meaning="external system error" ;;
  5) meaning="refused by policy" ;;
  *) meaning="exit $code" ;;
esac
# The summary names the command as written (variable names, not their values): no secret leaks.
command_line="$(printf '%s' "$TRAINMASTER_ARGS" | tr '\n' ' ' | cut -c1-200)"
printf '\n`trainmaster %s` → exit %s (%s)\n' "$command_line" "$code" "$meaning" \
  >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
for allowed in ${ALLOWED_EXIT_CODES:-0}; do
  [ "$code" = "$allowed" ] && exit 0
done
exit "$code"
