"""Desired repository state from the policy: a purely computational module.

The seed's intent, done the way GitHub works: the default branch, `release/*` and `v*` through
repository rulesets (or classic protection for the default branch on servers without rulesets),
environments with reviewers by id and a deployment branch policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from trainmaster.config.model import (
    BypassActor,
    Environment,
    Governance,
    Policy,
    RefRules,
    RefScope,
)
from trainmaster.errors import PolicyError
from trainmaster.governance.classic import classic_protection
from trainmaster.governance.model import (
    Desired,
    EnvironmentSpec,
    Json,
    Lookups,
    Resolved,
    RulesetSpec,
)

RULESET_NAMES: dict[RefScope, str] = {
    "default_branch": "trainmaster: default branch",
    "release_branches": "trainmaster: release branches",
    "tags": "trainmaster: release tags",
}
# GitHub's built-in repository roles as ruleset bypass actors (actor_type RepositoryRole).
REPOSITORY_ROLES = {"maintain": 2, "write": 4, "admin": 5}


def lookups(policy: Policy) -> Lookups:
    """Every team, user and app name the policy uses (resolved before the first write)."""
    gov = policy.governance
    teams = {r.team for env in gov.environments.values() for r in env.reviewers if r.team}
    users = {r.user for env in gov.environments.values() for r in env.reviewers if r.user}
    apps: set[str] = set()
    for actor in gov.bypass_actors:
        if actor.id is None and actor.name and actor.kind == "team":
            teams.add(actor.name)
        elif actor.id is None and actor.name and actor.kind == "app":
            apps.add(actor.name)
    return Lookups(frozenset(teams), frozenset(users), frozenset(apps))


def missing(policy: Policy, resolved: Resolved) -> list[str]:
    """One line per name GitHub does not know, naming the policy field."""
    gov = policy.governance
    problems: list[str] = []
    for env_name, env in gov.environments.items():
        for i, r in enumerate(env.reviewers):
            where = f"governance.environments.{env_name}.reviewers.{i}"
            if r.team and r.team not in resolved.teams:
                problems.append(f"{where}.team: unknown team {r.team!r}")
            if r.user and r.user not in resolved.users:
                problems.append(f"{where}.user: unknown user {r.user!r}")
    for i, actor in enumerate(gov.bypass_actors):
        if actor.id is None and actor.name:
            known = resolved.teams if actor.kind == "team" else resolved.apps
            if actor.kind in ("team", "app") and actor.name not in known:
                problems.append(
                    f"governance.bypass_actors.{i}.name: unknown {actor.kind} {actor.name!r}"
                )
    return problems


def desired(policy: Policy, repo: str, resolved: Resolved) -> Desired:
    gov = policy.governance
    rulesets = [
        _ref_ruleset("release_branches", gov.release_branches, gov, resolved),
        _ref_ruleset("tags", gov.tags, gov, resolved),
    ]
    protection = None
    if gov.mode == "rulesets":
        rulesets.insert(0, _default_branch_ruleset(gov, resolved, policy.checks.contexts))
    else:
        protection = classic_protection(
            policy.train.default_branch, gov.default_branch, policy.checks.contexts
        )
    envs = [_environment(name, env, resolved) for name, env in sorted(gov.environments.items())]
    retired = frozenset(RULESET_NAMES.values()) - {r.name for r in rulesets}
    return Desired(repo, rulesets, envs, protection, retired)


# --- rulesets --------------------------------------------------------------------------------


def _default_branch_ruleset(gov: Governance, resolved: Resolved, checks: list[str]) -> RulesetSpec:
    rules_cfg = gov.default_branch
    rules = _ref_basics(
        deletions=rules_cfg.allow_deletions,
        force_pushes=rules_cfg.allow_force_pushes,
        linear=rules_cfg.required_linear_history,
        signed=rules_cfg.require_signed_commits,
    )
    reviews = rules_cfg.reviews
    if reviews is not None or rules_cfg.required_conversation_resolution:
        rules.append(
            {
                "type": "pull_request",
                "parameters": {
                    "required_approving_review_count": (
                        reviews.required_approving_review_count if reviews else 0
                    ),
                    "dismiss_stale_reviews_on_push": bool(
                        reviews and reviews.dismiss_stale_reviews
                    ),
                    "require_code_owner_review": bool(
                        reviews and reviews.require_code_owner_reviews
                    ),
                    "require_last_push_approval": bool(
                        reviews and reviews.require_last_push_approval
                    ),
                    "required_review_thread_resolution": rules_cfg.required_conversation_resolution,
                },
            }
        )
    if rules_cfg.required_checks is not None and checks:
        app = rules_cfg.required_checks.app_id
        rules.append(
            {
                "type": "required_status_checks",
                "parameters": {
                    "strict_required_status_checks_policy": rules_cfg.required_checks.strict,
                    "required_status_checks": [_status_check(c, app) for c in checks],
                },
            }
        )
    actors = _bypass(gov.bypass_actors, "default_branch", resolved, tag=False)
    if not rules_cfg.enforce_admins:  # rulesets bind admins unless they are a bypass actor
        actors.append(
            {
                "actor_id": REPOSITORY_ROLES["admin"],
                "actor_type": "RepositoryRole",
                "bypass_mode": "always",
            }
        )
    return _ruleset("default_branch", "branch", ["~DEFAULT_BRANCH"], rules, actors)


def _ref_ruleset(
    scope: RefScope, cfg: RefRules, gov: Governance, resolved: Resolved
) -> RulesetSpec:
    tag = scope == "tags"
    prefix = "refs/tags/" if tag else "refs/heads/"
    include = cfg.pattern if cfg.pattern.startswith("refs/") else prefix + cfg.pattern
    rules = _ref_basics(
        deletions=cfg.allow_deletions,
        force_pushes=cfg.allow_force_pushes,
        linear=cfg.required_linear_history,
        signed=cfg.require_signed_commits,
    )
    if not cfg.allow_creations:
        rules.append({"type": "creation"})
    if not cfg.allow_updates:
        rules.append({"type": "update", "parameters": {"update_allows_fetch_and_merge": False}})
    if cfg.required_conversation_resolution and not tag:
        # Rulesets express conversation resolution only inside the pull-request rule.
        rules.append(
            {
                "type": "pull_request",
                "parameters": {
                    "required_approving_review_count": 0,
                    "dismiss_stale_reviews_on_push": False,
                    "require_code_owner_review": False,
                    "require_last_push_approval": False,
                    "required_review_thread_resolution": True,
                },
            }
        )
    actors = _bypass(gov.bypass_actors, scope, resolved, tag=tag)
    return _ruleset(scope, "tag" if tag else "branch", [include], rules, actors)


def _ref_basics(*, deletions: bool, force_pushes: bool, linear: bool, signed: bool) -> list[Json]:
    rules: list[Json] = []
    if not deletions:
        rules.append({"type": "deletion"})
    if not force_pushes:
        rules.append({"type": "non_fast_forward"})
    if linear:
        rules.append({"type": "required_linear_history"})
    if signed:
        rules.append({"type": "required_signatures"})
    return rules


def _status_check(context: str, app_id: int | None) -> Json:
    return (
        {"context": context} if app_id is None else {"context": context, "integration_id": app_id}
    )


def _ruleset(
    scope: RefScope, target: str, include: list[str], rules: list[Json], actors: list[Json]
) -> RulesetSpec:
    body: Json = {
        "name": RULESET_NAMES[scope],
        "target": target,
        "enforcement": "active",
        "bypass_actors": actors,
        "conditions": {"ref_name": {"include": include, "exclude": []}},
        "rules": rules,
    }
    return RulesetSpec(RULESET_NAMES[scope], body)


def _bypass(
    actors: list[BypassActor], scope: RefScope, resolved: Resolved, *, tag: bool
) -> list[Json]:
    out: list[Json] = []
    for i, actor in enumerate(actors):
        if scope not in actor.applies_to:
            continue
        if actor.mode == "pull_request" and (tag or actor.kind == "deploy-key"):
            raise PolicyError(
                f"governance.bypass_actors.{i}.mode: pull_request bypass applies only to branch "
                "rulesets and not to deploy keys (GitHub rule); use always"
            )
        out.append({**_actor(i, actor, resolved), "bypass_mode": actor.mode})
    return out


def _actor(i: int, actor: BypassActor, resolved: Resolved) -> dict[str, Any]:
    if actor.kind == "org-admin":
        return {"actor_id": 1, "actor_type": "OrganizationAdmin"}
    if actor.kind == "deploy-key":
        return {"actor_id": None, "actor_type": "DeployKey"}
    if actor.kind == "role":
        role_id = actor.id or REPOSITORY_ROLES.get(actor.name or "")
        if role_id is None:
            raise PolicyError(
                f"governance.bypass_actors.{i}.name: {actor.name!r} is not a built-in role "
                f"({', '.join(REPOSITORY_ROLES)}); give the custom role's id"
            )
        return {"actor_id": role_id, "actor_type": "RepositoryRole"}
    table = resolved.teams if actor.kind == "team" else resolved.apps
    actor_id = actor.id or table[actor.name or ""]
    return {"actor_id": actor_id, "actor_type": "Team" if actor.kind == "team" else "Integration"}


# --- environments and classic protection ---------------------------------------------------


def _environment(name: str, env: Environment, resolved: Resolved) -> EnvironmentSpec:
    reviewers = [
        {"type": "Team", "id": resolved.teams[r.team]}
        if r.team
        else {"type": "User", "id": resolved.users[r.user or ""]}
        for r in env.reviewers
    ]
    body: Json = {
        "wait_timer": int(env.wait_timer.total_seconds() // 60),
        "prevent_self_review": env.prevent_self_review,
        "reviewers": reviewers,
    }
    policies: frozenset[tuple[str, str]] = frozenset()
    branches = env.deployment_branches
    if branches is not None:
        custom = bool(branches.custom)
        body["deployment_branch_policy"] = (
            {"protected_branches": branches.protected_branches, "custom_branch_policies": custom}
            if branches.protected_branches or custom
            else None
        )
        policies = frozenset(_branch_policy(p) for p in branches.custom)
    return EnvironmentSpec(name, body, policies)


def _branch_policy(pattern: str) -> tuple[str, str]:
    """`refs/tags/v*` is a tag pattern; anything else (`release/*`, `refs/heads/x`) a branch."""
    if pattern.startswith("refs/tags/"):
        return pattern.removeprefix("refs/tags/"), "tag"
    return pattern.removeprefix("refs/heads/"), "branch"


def environment_path(repo: str, name: str) -> str:
    return f"/repos/{repo}/environments/{quote(name, safe='')}"


def protection_path(repo: str, branch: str) -> str:
    return f"/repos/{repo}/branches/{quote(branch, safe='')}/protection"
