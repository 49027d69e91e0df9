"""What work should exist: the pure planner behind `trainmaster serve`/`worker`.

Level-triggered, not edge-triggered: every few seconds the runner reads the trains and the
clock and asks `wanted()` which jobs ought to exist; the store keeps each key once, so asking
again — from two replicas, after a restart, after a CLI command in another process — never
doubles a job and never misses one whose trigger happened while no replica was up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trainmaster.config.model import Policy
from trainmaster.jobs.model import JobSpec

CUT_GRACE = timedelta(hours=1)  # a cut missed by at most this much (a restart) still happens
RECENT = timedelta(days=1)  # older trains plan nothing new (a first start on an old store)
FINAL = frozenset({"released", "rolled_back", "aborted"})


@dataclass(frozen=True)
class StageSnapshot:
    name: str
    status: str
    attempt: int
    since: datetime  # when it entered `status`


@dataclass(frozen=True)
class TrainSnapshot:
    id: str
    status: str
    updated_at: datetime
    stages: tuple[StageSnapshot, ...]
    digest: str | None = None  # the artifact CI recorded (`train artifact`)

    def stage(self, name: str) -> StageSnapshot | None:
        return next((s for s in self.stages if s.name == name), None)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wanted(policy: Policy, trains: list[TrainSnapshot], now: datetime) -> list[JobSpec]:
    specs = [*cuts(policy, now), *sweeps(policy, now), *drifts(policy, now)]
    for train in trains:
        if now - train.updated_at <= RECENT:
            specs.extend(train_jobs(policy, train, now))
    return specs


def cuts(policy: Policy, now: datetime) -> list[JobSpec]:
    """The next cut of the cadence, and one missed by at most CUT_GRACE."""
    from trainmaster.train.schedule import firings

    if not policy.automation.cut:
        return []
    found: list[JobSpec] = []
    for cut in firings(policy.train, now - CUT_GRACE):
        if cut.status != "cut":
            continue  # frozen or skipped: no job; the schedule shows why
        at = cut.at.astimezone(UTC)
        found.append(JobSpec("train.cut", f"train.cut@{stamp(at)}", at, {"at": at.isoformat()}))
        if at > now:
            break
    return found


def sweeps(policy: Policy, now: datetime) -> list[JobSpec]:
    every = policy.automation.preview_sweep
    if every is None or every <= timedelta(0):
        return []
    step = every.total_seconds()
    slot = datetime.fromtimestamp((now.timestamp() // step + 1) * step, UTC)
    return [JobSpec("preview.sweep", f"preview.sweep@{stamp(slot)}", slot, max_attempts=3)]


def drifts(policy: Policy, now: datetime) -> list[JobSpec]:
    from trainmaster.config.calendar import zone

    at_time = policy.automation.drift_at
    if at_time is None or not policy.repos:
        return []
    tz = zone(policy.train.cadence.timezone)
    local = now.astimezone(tz)
    moment = datetime.combine(local.date(), at_time, tz)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), at_time, tz)
    key = f"governance.drift@{moment.date().isoformat()}"
    return [JobSpec("governance.drift", key, moment.astimezone(UTC), max_attempts=3)]


def train_jobs(policy: Policy, train: TrainSnapshot, now: datetime) -> list[JobSpec]:
    found = [*_after_cut(policy, train), *_reminders(policy, train, now)]
    found.extend(_watches(policy, train, now))
    if policy.automation.evidence and train.status in FINAL:
        found.append(_evidence(policy, train))
    return found


def _after_cut(policy: Policy, train: TrainSnapshot) -> list[JobSpec]:
    if train.status != "open" or not policy.automation.deploy_after_cut or not train.digest:
        return []  # the artifact comes from CI (`train artifact`); the deploy waits for it
    first = policy.automation.deploy_after_cut[0]
    stage = train.stage(first)
    if stage is not None and stage.status != "pending":
        return []
    payload = {"train": train.id, "stages": list(policy.automation.deploy_after_cut)}
    key = f"train.stage@{train.id}@{train.digest[-12:]}"
    return [JobSpec("train.stage", key, train.updated_at, payload)]


def _watches(policy: Policy, train: TrainSnapshot, now: datetime) -> list[JobSpec]:
    if not policy.automation.watch:
        return []
    found: list[JobSpec] = []
    for stage in train.stages:
        spec = policy.stages.get(stage.name)
        if spec is None or spec.watch is None or stage.status != "promoted":
            continue
        if now - stage.since > spec.watch.duration:
            continue  # its watch would already be over
        key = f"gate.watch@{train.id}/{stage.name}/{stage.attempt}"
        payload = {"train": train.id, "stage": stage.name}
        found.append(JobSpec("gate.watch", key, stage.since, payload, max_attempts=10))
    return found


def _reminders(policy: Policy, train: TrainSnapshot, now: datetime) -> list[JobSpec]:
    every = policy.automation.remind_approvals
    if every is None or every <= timedelta(0) or train.status != "open":
        return []
    found: list[JobSpec] = []
    for stage in train.stages:
        if stage.status != "awaiting_approval":
            continue
        n = int((now - stage.since) / every) + 1
        at = stage.since + n * every
        key = f"approval.remind@{train.id}/{stage.name}/{stage.attempt}/{n}"
        payload = {"train": train.id, "stage": stage.name, "attempt": stage.attempt, "n": n}
        found.append(JobSpec("approval.remind", key, at, payload, max_attempts=3))
    return found


def _evidence(policy: Policy, train: TrainSnapshot) -> JobSpec:
    """After the train ends — and after the last stage's watch could still roll it back."""
    last = list(policy.stages.values())[-1] if policy.stages else None
    settle = last.watch.duration if last is not None and last.watch else timedelta(0)
    at = train.updated_at + settle
    return JobSpec("evidence.build", f"evidence.build@{train.id}", at, {"train": train.id})
