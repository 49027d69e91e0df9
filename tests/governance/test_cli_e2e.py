"""plan → apply → apply (no-op) → manual change → drift, against the emulator over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from tests.emulators.github.fixtures import GitHubEmulator


def test_seed_plan_apply_is_idempotent_and_drift_sees_manual_change(
    cli, github_emulator: GitHubEmulator, policy_file: Path
) -> None:
    plan = cli("--policy", str(policy_file), "plan", "--json")
    assert plan.code == 0, plan.err
    doc = json.loads(plan.out)
    print(json.dumps(doc, indent=1)[:3000])
    applied = cli("--policy", str(policy_file), "apply", "--yes")
    assert applied.code == 0, applied.err
    again = cli("--policy", str(policy_file), "apply", "--yes")
    assert again.code == 0 and "no changes" in again.out
    drift = cli("--policy", str(policy_file), "drift")
    assert drift.code == 0
