"""A workflow runner for the tests: runs generated GitHub Actions workflows job by job, for real.

What runs as on GitHub: jobs in `needs:` order (a job whose needs did not all succeed is
skipped), `run:` steps in `bash --noprofile --norc -eo pipefail`, the files `GITHUB_OUTPUT`,
`GITHUB_ENV`, `GITHUB_PATH` and `GITHUB_STEP_SUMMARY` (fresh per step, read after it), a fresh
`RUNNER_TEMP` per job, `${{ }}` expressions over github, env, inputs, vars, secrets, needs,
steps, runner and matrix (trainmaster's own evaluator, `trainmaster.checks.expressions`), job
outputs, `timeout-minutes`, `environment:` gated by the GitHub emulator's reviewers, and
"re-run failed jobs" (a new attempt re-runs the failed and skipped jobs, the succeeded ones keep
their outputs). trainmaster's own action (`action.yml` at the repository root) runs for real:
its composite steps are executed by this runner and install trainmaster from the worktree.

Stand-ins for third-party actions and tools (a `uses:` without a stand-in fails the job):
- `actions/checkout`: a `git clone` of the test's repository (the `ref:` input checked out).
- `actions/setup-python`: the host's `python3` (3.11+) stays on PATH.
- `docker/setup-buildx-action`: nothing to set up.
- `docker/build-push-action`: `git archive` of the checkout is the image: its sha256 is the
  `digest` output and the tar is kept in the runner's registry directory by digest.
- `docker` on PATH: `docker login` reads the password and succeeds; anything else fails.
"""
