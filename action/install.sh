#!/usr/bin/env bash
# Step 1 of the trainmaster action: install trainmaster from the action's own checkout into a
# virtualenv, once per job and source tree. The venv lives in the runner's tool cache (a
# self-hosted runner keeps it between jobs; a hosted one starts clean), keyed by a hash of the
# source, the extras and the Python, so another pin never reuses a stale install.
set -euo pipefail
: "${ACTION_PATH:?the action path is unknown}" "${RUNNER_TEMP:?RUNNER_TEMP is not set}"
python_bin="${PYTHON:-python3}"
extras="${EXTRAS:-}"
if [[ ! "$extras" =~ ^[A-Za-z0-9_,-]*$ ]]; then
  echo "::error title=trainmaster action::extras: '$extras' is not a comma-separated list of extras"
  exit 2
fi
key="$("$python_bin" "$ACTION_PATH/action/source_key.py" "$ACTION_PATH" "$extras")"
root="${RUNNER_TOOL_CACHE:-$RUNNER_TEMP}/trainmaster"
venv="$root/$key"
mkdir -p "$root"
exec 9>"$root/.lock"
flock 9  # two jobs of one self-hosted runner host must not build the same venv at once
if [ ! -x "$venv/bin/trainmaster" ]; then
  rm -rf "$venv"
  "$python_bin" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$ACTION_PATH${extras:+[$extras]}"
fi
flock -u 9
installed="$("$venv/bin/python" -c 'import trainmaster; print(trainmaster.__version__)')"
if [ -n "${WANT_VERSION:-}" ] && [ "$installed" != "$WANT_VERSION" ]; then
  echo "::error title=trainmaster action::the pinned action installs trainmaster $installed, the workflow asks for $WANT_VERSION"
  exit 2
fi
echo "$venv/bin" >> "$GITHUB_PATH"  # later `run:` steps of this job call `trainmaster` too
echo "bin=$venv/bin/trainmaster" >> "$GITHUB_OUTPUT"
echo "version=$installed" >> "$GITHUB_OUTPUT"
echo "trainmaster $installed from $ACTION_PATH"
