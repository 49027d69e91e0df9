"""The rollout and preview use cases without Typer, against the Kubernetes emulator: the same
requests, results, refusals and audit events as the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.emulators.kubernetes.fixtures import GOOD, NEXT, Cluster
from tests.policy.conftest import seed_text
from trainmaster.audit import AuditLog
from trainmaster.config import load_policy
from trainmaster.errors import RefusalReason, Refused
from trainmaster.rollout import preview_use_cases as previews
from trainmaster.rollout.plan import Operation
from trainmaster.rollout.use_cases import RolloutInput, Where, act, status
from trainmaster.wiring import App

RO = "/apis/argoproj.io/v1alpha1/namespaces/maestro/rollouts/maestro"
PROD = Where(stage="prod")


def _app(tmp_path: Path, k8s: Cluster, captains: list[str] | None = None) -> App:
    text = seed_text(captains).replace(
        "\nbackends:\n", f"\nbackends:\n  kubeconfig: {k8s.kubeconfig}\n"
    )
    if captains:  # the deployment engineers too: rollout and preview actions are theirs
        for title in ("Deployment Engineer", "CI/CD Engineer"):
            text = text.replace(
                f"title: {title}\n    members: []", f"title: {title}\n    members: [{captains[0]}]"
            )
    (tmp_path / "trainmaster.yaml").write_text(text)
    return App(load_policy(tmp_path / "trainmaster.yaml"), tmp_path)


def _events(app: App) -> list[tuple[str, str, str, str]]:
    return [(e.actor, e.action, e.target, e.reason) for e in AuditLog(app.store).events()]


def test_deploy_then_undo_live_as_the_cli_does(cli, tmp_path: Path, k8s: Cluster) -> None:  # type: ignore[no-untyped-def]
    k8s.rollout("maestro")
    with _app(tmp_path, k8s) as app:
        deployed = act(app, RolloutInput("ana", Operation("deploy", image=NEXT), PROD, "train 1.4"))
        assert [s.applied for s in deployed.steps] == [True]
        assert [(r.method, r.path) for r in k8s.emulator.writes()] == [("PUT", RO)]
        # promote: the use case's dry run and the CLI's are the same plan, nothing sent
        planned = act(app, RolloutInput("ana", Operation("promote"), PROD, dry_run=True))
        ran = cli("--json", "rollout", "promote", "--stage", "prod", "--dry-run")
        assert json.loads(ran.out) == planned.as_json()[0]
        assert len(k8s.emulator.writes()) == 1
        k8s.emulator.requests.clear()
        assert act(app, RolloutInput("ana", Operation("promote"), PROD, "drill")).steps[0].applied
        k8s.emulator.requests.clear()
        undone = act(app, RolloutInput("ana", Operation("undo"), PROD, "p95 over 1.5s"))
        assert [s.plan.operation.verb for s in undone.steps] == ["undo", "promote"]
        assert [r.path for r in k8s.emulator.writes()] == [RO, RO + "/status"]
        assert status(app, PROD).stable is not None and GOOD in str(status(app, PROD))
        assert _events(app) == [
            ("ana", "rollout.deploy", "maestro/maestro", "train 1.4"),
            ("ana", "promote", "maestro/maestro", "drill"),
            ("ana", "rollback", "maestro/maestro", "p95 over 1.5s"),
            ("ana", "promote", "maestro/maestro", "p95 over 1.5s"),
        ]


def test_a_refused_undo_sends_nothing_and_is_audited_like_the_clis(
    cli, tmp_path: Path, k8s: Cluster
) -> None:  # type: ignore[no-untyped-def]
    k8s.rollout("maestro")
    with _app(tmp_path, k8s, captains=["ana"]) as app:
        ran = cli("--actor", "eve", "rollout", "undo", "--stage", "prod", "--reason", "p95 high")
        with pytest.raises(Refused) as refused:
            act(app, RolloutInput("eve", Operation("undo"), PROD, "p95 high"))
        assert ran.code == 5 and refused.value.message in ran.err
        assert [r.rule for r in refused.value.reasons] == ["authz"]
        assert k8s.emulator.writes() == []
        cli_event, case_event = _events(app)
        assert cli_event == case_event == ("eve", "authz.refused", "maestro/maestro", "p95 high")


def test_preview_up_and_down(tmp_path: Path, k8s: Cluster) -> None:
    with _app(tmp_path, k8s) as app:
        dry = previews.preview_up(app, previews.PreviewUpInput("ana", 7, dry_run=True))
        assert dry.namespace == "pr-7" and dry.as_json()["dry_run"] is True
        assert _events(app) == []
        up = previews.preview_up(app, previews.PreviewUpInput("ana", 7, reason="review"))
        assert up.result and up.manifest["metadata"]["name"] == "pr-7"
        down = previews.preview_down(app, previews.PreviewDownInput("ana", 7, reason="merged"))
        assert down.deleted
        again = previews.preview_down(app, previews.PreviewDownInput("ana", 7, reason="merged"))
        assert not again.deleted  # already gone: nothing to audit
        assert _events(app) == [
            ("ana", "preview.up", "pr-7", "review"),
            ("ana", "preview.down", "pr-7", "merged"),
        ]


def test_a_preview_refusal_names_its_rule(tmp_path: Path, k8s: Cluster) -> None:
    with _app(tmp_path, k8s, captains=["ana"]) as app, pytest.raises(Refused) as refused:
        previews.preview_up(app, previews.PreviewUpInput("eve", 7, reason="review"))
    assert refused.value.reasons == (
        RefusalReason("authz", "not a member of a role that may preview.up (CI/CD Engineer)"),
    )
