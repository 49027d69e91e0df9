"""From the policy to each stage's rules for a train's lane: path, gates, quorum, wait, roles."""

from __future__ import annotations

from trainmaster.config.model import Policy, Stage
from trainmaster.train.model import StageRules

SCHEDULED = "scheduled"
HOTFIX = "hotfix"


def train_path(policy: Policy) -> list[str]:
    """The stages a train walks, in policy order. Per-PR previews (`pr-{number}`) are not on a
    train's path: they run before the cut, for each pull request."""
    return [name for name, stage in policy.stages.items() if "{number}" not in stage.namespace]


def stage_rules(policy: Policy, kind: str) -> tuple[StageRules, ...]:
    path = train_path(policy)
    return tuple(
        _rules(policy, name, policy.stages[name], kind, path[i - 1] if i else None)
        for i, name in enumerate(path)
    )


def _rules(policy: Policy, name: str, stage: Stage, kind: str, previous: str | None) -> StageRules:
    approval = stage.approval
    gates = tuple(stage.gates)
    quorum = approval.quorum
    if kind == HOTFIX:
        hotfix = policy.train.hotfix
        if name in hotfix.gates:
            gates = tuple(hotfix.gates[name])
        if hotfix.approvals is not None and quorum > 0:
            quorum = hotfix.approvals
    environment = policy.governance.environments.get(name)
    wait = max(approval.wait, environment.wait_timer) if environment else approval.wait
    return StageRules(
        name=name,
        gates=gates,
        quorum=quorum,
        exclude_author=approval.exclude_author,
        exclude_promoter=approval.exclude_promoter,
        reason_required=approval.reason_required,
        wait=wait,
        approvers=_members(policy, "approve", approval.roles),
        promoters=_members(policy, "promote", []),
        previous=previous,
        blue_green=stage.strategy in ("blue-green", "canary"),
    )


def _members(policy: Policy, action: str, named: list[str]) -> frozenset[str] | None:
    """People who may take `action`: members of the stage's named roles, else of every role that
    may take it. None (anyone) while no such role lists members — the seed lists none."""
    roles = [policy.roles[r] for r in named] or [
        r for r in policy.roles.values() if action in r.may or "*" in r.may
    ]
    members = {m.casefold() for r in roles for m in r.members}
    return frozenset(members) if members else None
