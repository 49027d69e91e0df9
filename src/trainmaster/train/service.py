"""The train service the CLI and the demo drive: cut, hotfix, artifact, deploy, verify, approve,
promote, rollback, abort, status, list.

Each command fetches what it needs through the ports, lets the pure machine decide, and saves
state, intents and the audit event in one transaction before any effect (see engine.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from trainmaster.config.model import Policy
from trainmaster.errors import ConflictError, UsageError
from trainmaster.notes.release import Context
from trainmaster.rollout.port import DIGEST_REF
from trainmaster.store import Store
from trainmaster.train.cutting import CutPlan, plan_cut, plan_hotfix
from trainmaster.train.effects import Checkpoint, Ports, no_checkpoint
from trainmaster.train.engine import Clock, Outcome, TrainEngine, system_clock
from trainmaster.train.live import check_preview, target_for
from trainmaster.train.model import (
    Abort,
    Approve,
    Deploy,
    Promote,
    RecordArtifact,
    StageStatus,
    TrainState,
    Verified,
)
from trainmaster.train.queries import describe, latest_train, train_list
from trainmaster.train.records import load_train_row, record_cut, record_gate_results
from trainmaster.train.rules import HOTFIX
from trainmaster.train.verification import Verifier

if TYPE_CHECKING:
    from trainmaster.forge import Forge
    from trainmaster.git import Git
    from trainmaster.rollout.port import Cluster


APPROVAL_RETRIES = 5


class TrainService(TrainEngine):
    def __init__(
        self,
        policy: Policy,
        store: Store,
        repo_path: str | Path,
        *,
        forge: Forge | None = None,
        cluster: Cluster | None = None,
        verifier: Verifier | None = None,
        clock: Clock = system_clock,
        actor: str = "unknown",
        checkpoint: Checkpoint = no_checkpoint,
        base_dir: Path | None = None,
        git: Git | None = None,
    ) -> None:
        if git is None:  # a library user's shortcut; the use cases pass the App's git
            from trainmaster.adapters.git.repo import GitRepo

            git = GitRepo(repo_path)
        self.git = git
        self.verifier = verifier
        self.base_dir = base_dir or Path(repo_path)
        forge_on = forge is not None and policy.backends.forge != "none"
        ports = Ports(
            git=self.git,
            forge=forge if forge_on else None,
            cluster=cluster,
            repo=policy.repos[0] if policy.repos else "",
            target=lambda stage: target_for(policy, stage),
        )
        super().__init__(policy, store, ports, clock=clock, actor=actor, checkpoint=checkpoint)

    # --- cut and hotfix -------------------------------------------------------------------

    def plan_cut(self, override_reason: str | None = None) -> CutPlan:
        plan = plan_cut(
            self.policy,
            self.git,
            now=self.now(),
            override_reason=override_reason,
            forge_enabled=self.ports.forge is not None,
        )
        return self._with_notes(plan)

    def cut(
        self, dry_run: bool = False, override_reason: str | None = None, reason: str = ""
    ) -> CutPlan:
        plan = self.plan_cut(override_reason)
        if not dry_run:
            self._record_cut(plan, reason=override_reason or reason or "scheduled train")
        return plan

    def hotfix(
        self, from_tag: str, picks: Sequence[str], *, dry_run: bool = False, reason: str = ""
    ) -> CutPlan:
        plan = plan_hotfix(
            self.policy, self.git, from_tag, picks, forge_enabled=self.ports.forge is not None
        )
        plan = self._with_notes(plan)
        if not dry_run:
            self._record_cut(plan, reason=reason or f"hotfix from {from_tag}")
        return plan

    def _with_notes(self, plan: CutPlan) -> CutPlan:
        from trainmaster.notes.compose import notes_text

        context = Context(
            version=plan.version,
            previous=plan.previous_tag or "",
            date=self.now().date().isoformat(),
            project=self.policy.project.name,
        )
        text = notes_text(self.policy, plan.changes, context, base_dir=self.base_dir)
        effects = tuple(
            e.with_params(body=text) if e.kind == "forge.release" else e for e in plan.effects
        )
        return replace(plan, notes=text, effects=effects)

    def _record_cut(self, plan: CutPlan, reason: str) -> None:
        with self.store.transaction() as session:
            record_cut(session, plan, actor=self.actor, reason=reason, now=self.now())
            self.checkpoint("intent-commit")
        self.checkpoint("after-intent")
        self.resume(plan.train_id)

    # --- stages ---------------------------------------------------------------------------

    def record_artifact(self, train_id: str, digest: str) -> Outcome:
        image = self.image_ref(digest)
        return self.transition(
            train_id,
            lambda s: RecordArtifact(image, self.actor, self.now()),
            reason="artifact built",
        )

    def image_ref(self, digest: str) -> str:
        return image_ref(self.policy, digest)

    def deploy(
        self, train_id: str, stage: str, *, reason: str = "", dry_run: bool = False
    ) -> Outcome:
        current = self._serving(stage)
        return self.transition(
            train_id,
            lambda s: Deploy(stage, self.actor, self.now(), current=current),
            reason=reason or f"deploy to {stage}",
            dry_run=dry_run,
        )

    def verify(self, train_id: str, stage: str, inputs: Any = None) -> Outcome:
        if self.verifier is None:
            raise UsageError("no verifier (metrics backend) is configured")
        state = self.state(train_id)
        view = state.stage(stage)
        if not view.digest:
            raise UsageError(f"train {train_id} is not deployed to {stage}")
        only = state.rule(stage).gates if state.kind == HOTFIX else None
        at = self.now()
        result = self.verifier.verify(stage, view.digest, at=at, inputs=inputs, only=only)
        gates = tuple((g.gate, g.verdict.value) for g in result.gates)
        rows = [(g.gate, g.verdict.value, dict(g.evidence)) for g in result.gates]
        digest = view.digest

        def write_results(session: Session, _state: TrainState) -> None:
            record_gate_results(session, train_id, stage, digest, rows, at)

        # issue 13: a failure after promotion rolls back where `rollback` would (known_good.py)
        back = None
        if result.verdict.value == "fail" and view.status is StageStatus.PROMOTED:
            from trainmaster.train.rolling_back import rollback_target

            back = rollback_target(self, stage)
        return self.transition(
            train_id,
            lambda s: Verified(stage, digest, result.verdict.value, at, gates, rollback_to=back),
            reason=f"verification {result.verdict.value}",
            also=write_results,
        )

    def approve(self, train_id: str, stage: str, actor: str, reason: str) -> Outcome:
        # Approvals commute: two approvers at once must both count, so a lost race is decided
        # again on the fresh state instead of failing (a promotion race is never retried).
        for attempt in range(APPROVAL_RETRIES):
            try:
                return self.transition(
                    train_id,
                    lambda s: Approve(stage, actor, reason, self.now()),
                    reason=reason,
                    actor=actor,
                )
            except ConflictError:
                if attempt == APPROVAL_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def promote(
        self,
        train_id: str,
        stage: str,
        actor: str,
        reason: str,
        *,
        override_freeze: str | None = None,
        expected_version: int | None = None,
        dry_run: bool = False,
    ) -> Outcome:
        self._check_preview(train_id, stage)
        try:
            return self.transition(
                train_id,
                lambda s: Promote(
                    stage, actor, reason, self.now(), override_freeze=override_freeze
                ),
                reason=reason,
                actor=actor,
                expected_version=expected_version,
                dry_run=dry_run,
            )
        except ConflictError:
            # Re-running your own promote after a crash is not a conflict: it already happened.
            done = self.state(train_id)
            view = done.stage(stage)
            mine = view.promoted_by == actor and view.digest == done.digest
            if expected_version is None and view.status is StageStatus.PROMOTED and mine:
                return Outcome(done, message=f"already promoted by {actor}")
            raise

    def rollback(
        self,
        stage: str,
        actor: str,
        reason: str,
        to_digest: str | None = None,
        *,
        train_id: str | None = None,
        dry_run: bool = False,
    ) -> Outcome:
        # Rollback by history (issue 13): train/rolling_back.py reads the stage's records and
        # the cluster, train/known_good.py decides where to go, the machine records it.
        from trainmaster.train.rolling_back import rollback_stage

        self.policy.stage(stage)
        if not dry_run:
            self.resume()
        target = self.image_ref(to_digest) if to_digest else None
        return rollback_stage(
            self, stage, actor, reason, target, train_id=train_id, dry_run=dry_run
        )

    def abort(self, train_id: str, actor: str, reason: str) -> Outcome:
        return self.transition(
            train_id,
            lambda s: Abort(actor, reason, self.now()),
            reason=reason,
            actor=actor,
            resume_first=False,  # an abort must work even when an effect keeps failing
        )

    def _check_preview(self, train_id: str, stage: str) -> None:
        if self.ports.cluster is not None:
            check_preview(self.state(train_id), stage, self.ports.cluster, self.policy)

    def _serving(self, stage: str) -> str | None:
        if self.ports.cluster is None:
            raise UsageError("no cluster backend is configured; cannot deploy")
        return self.ports.cluster.status(target_for(self.policy, stage)).stable

    def status(self, train_id: str | None = None) -> dict[str, Any]:
        with self.store.transaction() as session:
            train = train_id or latest_train(session)
            state = self.load(session, train)
            return describe(session, state, load_train_row(session, train), self.now())

    def preview(self, at: datetime | None = None) -> dict[str, Any]:
        from trainmaster.train.preview import preview

        return preview(self.policy, self.git, self.now(), at=at, base_dir=self.base_dir)

    def list(self) -> list[dict[str, Any]]:
        with self.store.transaction() as session:
            return train_list(session)


def image_ref(policy: Policy, digest: str) -> str:
    """`sha256:<hex>` becomes `<policy artifact>@sha256:<hex>`; a full ref must be immutable."""
    text = digest.strip()
    if text.startswith("sha256:"):
        owner, _, repo = (policy.repos[0] if policy.repos else "/").partition("/")
        text = f"{policy.train.artifact.format(owner=owner, repo=repo)}@{text}"
    if not DIGEST_REF.match(text):
        raise UsageError(f"{digest!r} is not an immutable image digest (repo@sha256:<64 hex>)")
    return text
