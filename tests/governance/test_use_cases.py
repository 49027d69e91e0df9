"""The governance use cases without Typer against the GitHub emulator: the CLI's plan, the same
writes and audit events, refusals before the first write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.emulators.github.fixtures import GitHubEmulator
from trainmaster.audit import AuditLog
from trainmaster.config import load_policy
from trainmaster.errors import RefusalReason, Refused
from trainmaster.governance.render import plan_json
from trainmaster.governance.use_cases import (
    ApplyInput,
    Selection,
    apply_governance,
    plan_governance,
)
from trainmaster.wiring import App


def _app(policy_file: Path) -> App:
    return App(load_policy(policy_file), policy_file.parent)


def test_plan_apply_drift_match_the_cli(
    cli, github_emulator: GitHubEmulator, policy_file: Path
) -> None:  # type: ignore[no-untyped-def]
    ran = cli("--policy", str(policy_file), "plan", "--json")
    with _app(policy_file) as app:
        plan = plan_governance(app, Selection())
        assert plan_json(list(plan.plans)) == json.loads(ran.out)
        assert plan.pending == 20 and plan.error() is None
        told: list[str] = []
        result = apply_governance(
            app, ApplyInput("arborist", "onboard"), plan, lambda repo, a: told.append(repo)
        )
        assert result.error() is None and len(told) == len(github_emulator.writes()) == 20
        events = list(AuditLog(app.store).events(action="governance.apply"))
        assert {(e.actor, e.reason) for e in events} == {("arborist", "onboard")}
        assert [e.target for e in events] == [f"github:{r}" for r in told]
        assert plan_governance(app, Selection()).drift_error() is None
    assert cli("--policy", str(policy_file), "drift").code == 0


def test_apply_without_a_reason_is_refused_before_the_first_write(
    github_emulator: GitHubEmulator, policy_file: Path
) -> None:
    with _app(policy_file) as app:
        plan = plan_governance(app, Selection(repos=("acme/api",)))
        with pytest.raises(Refused) as refused:
            apply_governance(app, ApplyInput("arborist", ""), plan)
        assert refused.value.reasons == (
            RefusalReason(
                "authz",
                "governance.apply is a risky action: say why with --reason (at least 4 characters)",
            ),
        )
        assert github_emulator.writes() == []
        [event] = AuditLog(app.store).events()
        assert (event.action, event.target) == ("authz.refused", "github:acme/api")


def test_nothing_to_change_asks_no_one(github_emulator: GitHubEmulator, policy_file: Path) -> None:
    with _app(policy_file) as app:
        apply_governance(app, ApplyInput("arborist", "onboard"), plan_governance(app, Selection()))
        again = plan_governance(app, Selection())
        result = apply_governance(app, ApplyInput("eve", ""), again)  # no reason, no change
        assert again.pending == 0 and result.outcomes == ()
        assert not list(AuditLog(app.store).events(action="authz.refused"))
