"""The demo's story: two weekly trains through the real train, gates, rollout and evidence code.

v0.1.0 is already in production. The first train (v0.2.0) is healthy and is promoted; the second
(v0.3.0) pools database connections, which passes stage and the pre-promotion checks under light
traffic but exhausts the pool under production traffic: the post-promotion watch rolls it back.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from trainmaster.demo.artifacts import build_artifact
from trainmaster.demo.show import Show
from trainmaster.demo.traffic import smoke, start_load
from trainmaster.errors import Refused

if TYPE_CHECKING:
    from trainmaster.config import Policy
    from trainmaster.gates.port import Metrics
    from trainmaster.gates.watch import WatchOutcome
    from trainmaster.wiring import App

CAPTAIN = "release-captain"
APPROVERS = (
    ("alice", "stage gates green; p95 and error budget fine on the preview"),
    ("bob", "release notes reviewed; no migrations; rollback plan is the blue colour"),
)
WATCHER = "trainmaster-watch"
STAGE_USERS, PREVIEW_USERS, PROD_USERS = 2, 2, 16
LOAD_SECONDS = 5


@dataclass
class Outcome:
    shipped: list[str] = field(default_factory=list)
    rolled_back: list[tuple[str, str]] = field(default_factory=list)
    evidence: list[Path] = field(default_factory=list)
    audit_intact: bool = False
    events: int = 0


@dataclass
class Stack:
    """Everything the story drives, built from the demo policy like any other policy."""

    policy: Policy
    repo: Path
    app: App  # every step goes through the use cases, authorized like a person's
    cluster: Any  # the local target (LocalCluster)
    metrics: dict[str, Metrics]
    show: Show
    load_dir: Path


class Story:
    def __init__(self, stack: Stack) -> None:
        self.s = stack

    # --- helpers ---------------------------------------------------------------------------

    def _target(self, stage: str) -> Any:
        from trainmaster.rollout.backends import target_for

        return target_for(self.s.policy, stage)

    def _inputs(self, stage: str, url: str, users: int, name: str) -> Any:
        from trainmaster.gates.inputs import GateInputs, parse_locust
        from trainmaster.gates.junit import parse_junit
        from trainmaster.gates.service import load_limits

        report = smoke(url, self.s.load_dir / f"{name}-smoke.xml")
        run = start_load(url, users=users, seconds=LOAD_SECONDS, workdir=self.s.load_dir, name=name)
        try:
            with self.s.show.waiting(f"Locust: {users} users on {stage} for {LOAD_SECONDS}s"):
                stats = run.finish(timeout=LOAD_SECONDS + 30)
        finally:
            run.stop()
        load = parse_locust(stats, load_limits(self.s.policy, stage), source=f"{name}.json")
        smoke_result = parse_junit(report.read_text(), source=report.name)
        self.s.show.step(f"smoke: {smoke_result.summary}; load: {load.summary}")
        return GateInputs(smoke=smoke_result, load=load)

    def _verify(self, train: str, stage: str, inputs: Any) -> bool:
        from trainmaster.gates.verdict import Verdict
        from trainmaster.train.use_cases import VerifyInput, verify

        result = verify(self.s.app, VerifyInput(CAPTAIN, train, stage, inputs))
        verdicts = dict(result.verdicts)
        passed = bool(verdicts) and all(v is Verdict.PASS for v in verdicts.values())
        results = ", ".join(f"{g} {v.value}" for g, v in verdicts.items())
        (self.s.show.good if passed else self.s.show.bad)(
            f"{stage} verification {'pass' if passed else 'not passed'}: {results}"
        )
        return passed

    def _promote(self, train: str, stage: str, reason: str) -> None:
        from trainmaster.train.use_cases import PromoteInput, promote

        deadline = time.monotonic() + 60
        while True:
            try:
                promote(self.s.app, PromoteInput(CAPTAIN, train, stage, reason))
                return
            except Refused as e:
                # The wait timer counts from stored timestamps; the demo just waits it out.
                waiting = {r.rule for r in e.reasons} == {"promotion.wait"}
                if not waiting or time.monotonic() > deadline:
                    raise
                with self.s.show.waiting(f"{stage}: {e}"):
                    time.sleep(0.5)

    # --- the story -------------------------------------------------------------------------

    def bootstrap(self) -> None:
        """v0.1.0 is what production runs before the first train."""
        from trainmaster.rollout.plan import Operation
        from trainmaster.rollout.use_cases import RolloutInput, Where, act
        from trainmaster.train.service import image_ref

        artifact = build_artifact(self.s.repo, "v0.1.0", "0.1.0", self.s.repo)
        image = image_ref(self.s.policy, artifact.digest)
        target = self._target("prod")
        why = "production baseline before the first train"
        for op in (Operation("deploy", image=image), Operation("promote")):
            act(self.s.app, RolloutInput(CAPTAIN, op, Where(stage="prod"), why))
        self.s.show.good(
            f"prod serves v0.1.0 ({artifact.digest[:19]}…) at "
            f"{self.s.cluster.endpoints(target).active}"
        )

    def schedule(self) -> None:
        from trainmaster.train.schedule import upcoming

        cuts = upcoming(self.s.policy.train, datetime.now(UTC), count=2)
        when = ", ".join(c.at.strftime("%a %d %b %H:%M %Z") for c in cuts)
        self.s.show.step(f"schedule: next cuts {when} (the demo cuts now)")

    def train(self, outcome: Outcome) -> str:
        from trainmaster.train import use_cases as steps

        show, app = self.s.show, self.s.app
        plan = steps.cut(app, steps.CutInput(CAPTAIN, reason="Thursday's train")).plan
        train = plan.train_id
        show.good(f"cut {train}: branch {plan.branch}, tag {plan.tag}, {len(plan.changes)} commits")
        for line in plan.notes.splitlines():
            # The notes carry links and authors; the console shows the headlines only.
            headline = re.split(r"\s\(\(|\s\(\[", line)[0].strip()
            if headline.startswith(("##", "- ")):
                show.step(f"  [dim]{escape(headline)}[/dim]")
        artifact = build_artifact(self.s.repo, plan.tag, plan.version, self.s.repo)
        steps.artifact(app, steps.ArtifactInput(CAPTAIN, train, artifact.digest))
        show.step(f"artifact {artifact.digest[:19]}… from git archive {plan.tag}")

        steps.deploy(app, steps.DeployInput(CAPTAIN, train, "stage"))
        stage_url = self.s.cluster.endpoints(self._target("stage")).active
        show.good(f"stage: {train} deployed at {stage_url}")
        if not self._verify(
            train, "stage", self._inputs("stage", stage_url, STAGE_USERS, f"{train}-stage")
        ):
            return train
        steps.approve(app, steps.ApproveInput(APPROVERS[0][0], train, "stage", APPROVERS[0][1]))
        self._promote(train, "stage", "stage verified")
        show.good("stage: approved by alice and promoted")

        steps.deploy(app, steps.DeployInput(CAPTAIN, train, "prod", "the weekly train"))
        preview_url = self.s.cluster.endpoints(self._target("prod")).preview
        show.good(f"prod: {train} is the preview colour at {preview_url} (not serving users)")
        if not self._verify(
            train, "prod", self._inputs("prod", preview_url, PREVIEW_USERS, f"{train}-preview")
        ):
            return train
        for who, why in APPROVERS:
            steps.approve(app, steps.ApproveInput(who, train, "prod", why))
            show.step(f"approved by {who}: {why}")
        self._promote(train, "prod", "two approvals, gates green, wait timer over")
        show.good(f"prod: {train} promoted — blue/green switch")
        watched = self._watch(train)
        if watched.status == "rolled_back":
            reason = watched.plan.reason if watched.plan else "a criterion failed"
            show.bad(f"prod: {train} rolled back automatically: {reason}")
            outcome.rolled_back.append((train, reason))
        elif watched.status == "passed":
            show.good(f"prod: {train} held every criterion for the whole watch")
            outcome.shipped.append(train)
        else:
            show.bad(f"prod: watch of {train} ended {watched.status}")
        return train

    def _watch(self, train: str) -> WatchOutcome:
        from trainmaster.gates.watch import watch
        from trainmaster.train.watching import RollbackThroughTrain

        target = self._target("prod")
        url = self.s.cluster.endpoints(target).active
        spec = self.s.policy.stage("prod").watch
        seconds = spec.duration.total_seconds() if spec else 15
        run = start_load(
            url,
            users=PROD_USERS,
            seconds=seconds + 5,
            workdir=self.s.load_dir,
            name=f"{train}-prod",
        )
        last: list[str] = []

        def on_report(report: Any) -> None:
            failing = [s.name for s in report.signals if s.verdict.value == "fail"]
            last[:] = [f"{report.verdict.value}" + (f" ({', '.join(failing)})" if failing else "")]

        try:
            with self.s.show.waiting(f"watching prod for {seconds:.0f}s under {PROD_USERS} users"):
                return watch(
                    self.s.policy,
                    "prod",
                    metrics=self.s.metrics["prod"],
                    cluster=RollbackThroughTrain(self.s.app, train, WATCHER),
                    store=self.s.app.store,
                    actor=WATCHER,
                    target=target,
                    train_id=train,
                    on_report=on_report,
                )
        finally:
            run.stop()
