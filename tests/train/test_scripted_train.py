"""A whole train on real git and both stores: cut → stage → approvals → prod → rollback."""

from __future__ import annotations

import json

import pytest

from tests.train.conftest import Rig
from tests.train.fakes import DIGEST_A, DIGEST_OLD, git
from trainmaster.audit import AuditLog
from trainmaster.errors import ExternalError


def test_cut_stage_approvals_prod_rollback(rig: Rig) -> None:
    rig.cluster.pin(rig.service().ports.target("prod"), DIGEST_OLD)  # what prod ran before
    rig.cluster.calls.clear()
    captain = rig.service("captain")
    plan = captain.cut()
    assert (plan.version, plan.tag, plan.branch) == ("1.1.0", "v1.1.0", "release/1.1.0")
    assert git(rig.repo, "cat-file", "-t", "v1.1.0") == "tag"  # annotated
    assert git(rig.repo, "rev-parse", "release/1.1.0") == git(rig.repo, "rev-parse", "main")
    assert "add the orders endpoint" in rig.forge.bodies["v1.1.0"]
    assert captain.status("v1.1.0")["status"] == "open"

    captain.record_artifact("v1.1.0", DIGEST_A)
    captain.deploy("v1.1.0", "stage")
    captain.verify("v1.1.0", "stage")
    rig.service("alice").approve("v1.1.0", "stage", "alice", "smoke and load look fine")
    rig.service("bob").promote("v1.1.0", "stage", "bob", "stage is green")
    assert captain.status("v1.1.0")["stages"][0]["status"] == "promoted"

    captain.deploy("v1.1.0", "prod")
    captain.verify("v1.1.0", "prod")
    rig.service("alice").approve("v1.1.0", "prod", "alice", "dashboards green")
    rig.service("carol").approve("v1.1.0", "prod", "carol", "error budget fine")
    rig.clock.advance(minutes=10)
    calls = list(rig.cluster.calls)
    plan = rig.service("bob").promote("v1.1.0", "prod", "bob", "ship it", dry_run=True)
    assert plan.planned == ({"effect": "cluster.promote", "stage": "prod", "image": None},)
    assert (
        rig.cluster.calls == calls
        and captain.status("v1.1.0")["stages"][1]["status"] == "awaiting_approval"
    )
    outcome = rig.service("bob").promote("v1.1.0", "prod", "bob", "ship it")
    assert outcome.state.status.value == "released"
    assert rig.cluster.states["prod"].stable == DIGEST_A

    rig.service("dave").rollback("prod", "dave", "p95 regression")
    assert rig.cluster.states["prod"].stable == DIGEST_OLD
    status = captain.status("v1.1.0")
    assert status["status"] == "rolled_back"
    assert [a["revoked"] for a in status["stages"][1]["approvals"]] == [True, True]
    assert rig.cluster.calls == [
        ("deploy", "stage", DIGEST_A),
        ("promote", "stage", DIGEST_A),
        ("deploy", "prod", DIGEST_A),
        ("promote", "prod", DIGEST_A),
        ("pin", "prod", DIGEST_OLD),
    ]
    log = AuditLog(rig.store)
    assert log.verify() is None
    actions = [e.action for e in log.events()]
    for expected in (
        "train.cut",
        "train.opened",
        "approve",
        "promote",
        "train.promoted",
        "rollback",
    ):
        assert expected in actions
    promote = next(e for e in log.events(action="promote") if e.target.endswith("/prod"))
    assert (promote.actor, promote.reason) == ("bob", "ship it")


def test_notes_carry_slo_status_and_incidents_from_the_store(rig: Rig) -> None:
    from trainmaster.train.notes_source import render_notes

    test_cut_stage_approvals_prod_rollback(rig)
    text = render_notes(
        rig.policy, rig.repo, "v1.0.0..v1.1.0", fmt="md", kind="release",
        store=lambda: rig.store, base_dir=rig.repo,
    )  # fmt: skip
    assert text.startswith("## maestro 1.1.0 (2026-11-05)")
    assert (
        "- prod: pass (p95-latency pass, burn-rate pass, error-rate pass, saturation pass" in text
    )
    assert "- incident: rollback prod by dave: p95 regression" in text
    assert "[#12](https://github.com/acme/maestro/pull/12)" in text


def test_abort_cancels_an_effect_that_keeps_failing(rig: Rig) -> None:
    from tests.train.fakes import git

    plan = rig.service().cut()
    rig.service().record_artifact(plan.train_id, DIGEST_A)

    class Broken(type(rig.cluster)):  # type: ignore[misc]
        def deploy(self, target, image):  # type: ignore[no-untyped-def]
            from trainmaster.errors import ExternalError

            raise ExternalError("cluster says no")

    rig.cluster = Broken()
    with pytest.raises(ExternalError, match="cluster says no"):
        rig.service().deploy(plan.train_id, "stage")
    with pytest.raises(ExternalError):  # every later command resumes it first, and fails again
        rig.service("alice").approve(plan.train_id, "stage", "alice", "ok")
    outcome = rig.service().abort(plan.train_id, "captain", "cluster is gone; cut again later")
    assert outcome.state.status.value == "aborted"
    assert rig.service().status(plan.train_id)["pending_effects"] == []
    assert rig.service().resume() == ()
    event = next(AuditLog(rig.store).events(action="train.abort"))
    assert json.loads(event.payload)["interrupted"] == ["stage"]
    assert "v1.1.0" in git(rig.repo, "tag")  # the tag stays: a release number is never reused


def test_overlapping_trains_never_promote_each_others_preview(rig: Rig) -> None:
    from tests.train.fakes import DIGEST_B, commit
    from trainmaster.errors import ConflictError

    weekly = rig.service().cut().train_id
    captain = rig.service()
    captain.record_artifact(weekly, DIGEST_A)
    captain.deploy(weekly, "stage")
    captain.verify(weekly, "stage")
    rig.service("alice").approve(weekly, "stage", "alice", "ok")
    fix = commit(rig.repo, "fix: urgent", file="urgent.txt")
    hot = rig.service("oncall").hotfix("v1.0.0", [fix]).train_id
    rig.service("oncall").record_artifact(hot, DIGEST_B)
    rig.service("oncall").deploy(hot, "stage")  # the hotfix takes the stage's preview colour
    with pytest.raises(ConflictError, match="another train deployed there since"):
        rig.service("bob").promote(weekly, "stage", "bob", "go")
    assert [c for c in rig.cluster.calls if c[0] == "promote"] == []
