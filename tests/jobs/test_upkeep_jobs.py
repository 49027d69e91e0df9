"""The upkeep jobs through the runner: the preview TTL sweep against the Kubernetes emulator,
and the evidence bundle of a train that ended (both stores for the evidence)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.emulators.kubernetes.fixtures import Cluster
from tests.train.conftest import COMMITS, Rig
from tests.train.fakes import DIGEST_A, make_repo
from trainmaster.adapters.kubernetes.rollouts import ArgoRolloutsCluster
from trainmaster.audit import AuditLog
from trainmaster.config import parse_policy
from trainmaster.config.automation import Automation
from trainmaster.config.seed import seed_policy_text
from trainmaster.jobs.handlers import Work, handlers
from trainmaster.jobs.model import JobSpec, JobStatus
from trainmaster.jobs.runner import Runner
from trainmaster.jobs.wiring import planner_for
from trainmaster.rollout.preview import EXPIRES_ANNOTATION, PR_LABEL
from trainmaster.store import Store
from trainmaster.store.jobs import enqueue, get
from trainmaster.wiring import App

MANAGED = {"app.kubernetes.io/managed-by": "trainmaster"}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_sweep_job_deletes_expired_previews_only(
    store: Store, tmp_path: Path, k8s: Cluster
) -> None:
    text = seed_policy_text("acme", "maestro").replace("  forge: github", "  forge: none")
    text = text.replace("  forge: none", f"  forge: none\n  kubeconfig: {k8s.kubeconfig}")
    policy = parse_policy(text)
    now = datetime.now(UTC)
    k8s.namespace(
        "pr-1",
        {**MANAGED, PR_LABEL: "1"},
        **{EXPIRES_ANNOTATION: stamp(now - timedelta(minutes=1))},
    )
    k8s.namespace(
        "pr-2", {**MANAGED, PR_LABEL: "2"}, **{EXPIRES_ANNOTATION: stamp(now + timedelta(hours=1))}
    )
    k8s.namespace("pr-3", {PR_LABEL: "3"}, **{EXPIRES_ANNOTATION: stamp(now - timedelta(hours=1))})
    cluster = ArgoRolloutsCluster.from_policy(policy, tmp_path)
    work = Work(lambda: App(policy, tmp_path, store=store, cluster=cluster))
    with store.transaction() as s:
        enqueue(s, JobSpec("preview.sweep", "preview.sweep@now", now), now)
    Runner(store, handlers(work)).run_due()
    with store.transaction() as s:
        job = get(s, "preview.sweep@now")
    assert job is not None and job.status is JobStatus.SUCCEEDED, job and job.last_error
    assert job.result == {"deleted": ["pr-1"], "checked": 1}
    left = {env.namespace for env in cluster.previews()}
    assert left == {"pr-2"}  # pr-3 is not ours: listed by nobody, never touched
    assert [e.action for e in AuditLog(store).events()] == ["preview.sweep"]


def test_a_train_that_ended_gets_its_evidence_bundle_once(store: Store, tmp_path: Path) -> None:
    text = seed_policy_text("acme", "maestro").replace("  forge: github", "  forge: none")
    seed = parse_policy(text)
    policy = seed.model_copy(update={"automation": Automation(evidence=True)})
    rig = Rig(policy, store, make_repo(tmp_path / "repo", COMMITS))
    service = rig.service()
    train = service.cut().train_id
    service.record_artifact(train, DIGEST_A)
    service.abort(train, "captain", "the release is not needed after all")
    work = Work(lambda: App(policy, rig.repo, repo_path=rig.repo, clock=rig.clock, store=store,
                            cluster=rig.cluster))  # fmt: skip
    runner = Runner(store, handlers(work), planner=planner_for(policy, store), clock=rig.clock,
                    plan_every=0)  # fmt: skip
    assert runner.run_due() == []  # prod's 30-minute watch could still roll the train back
    rig.clock.advance(minutes=31)
    ran = runner.run_due()
    assert [j.kind for j in ran] == ["evidence.build"]
    with store.transaction() as s:
        job = get(s, f"evidence.build@{train}")
    assert job is not None and job.status is JobStatus.SUCCEEDED, job and job.last_error
    assert Path(job.result["bundle"]).is_file() and len(job.result["sha256"]) == 64
    assert runner.run_due() == []
    events = [e.action for e in AuditLog(store).events()]
    assert events.count("evidence.build") == 1
