"""Desired vs actual → actions: a purely computational module.

The diff is per field and stable: lists GitHub does not keep in order (bypass actors, checks,
reviewers, patterns) compare as sets, and only fields the policy sets are compared, so
server-side defaults (e.g. `allowed_merge_methods`, `can_admins_bypass`) never show as drift.
"""

from __future__ import annotations

from typing import Any

from trainmaster.governance.desired import environment_path, protection_path
from trainmaster.governance.model import (
    Action,
    Actual,
    ActualEnvironment,
    Desired,
    EnvironmentSpec,
    Json,
    ProtectionSpec,
    RulesetSpec,
)


def plan_repo(desired: Desired, actual: Actual) -> list[Action]:
    actions: list[Action] = []
    for spec in desired.rulesets:
        actions.extend(_ruleset(desired.repo, spec, actual))
    if desired.protection is not None:
        actions.extend(_protection(desired.repo, desired.protection, actual.protection))
    # After the replacement protection is in place, so the branch is never unprotected.
    for name in sorted(desired.retired_rulesets & actual.rulesets.keys()):
        path = f"/repos/{desired.repo}/rulesets/{actual.rulesets[name].id}"
        actions.append(
            Action("delete", f"ruleset:{name}", "DELETE", path, None, ("not in policy",))
        )
    for env in desired.environments:
        actions.extend(_environment(desired.repo, env, actual.environments.get(env.name)))
    return actions


# --- rulesets --------------------------------------------------------------------------------


def _ruleset(repo: str, spec: RulesetSpec, actual: Actual) -> list[Action]:
    resource = f"ruleset:{spec.name}"
    existing = actual.rulesets.get(spec.name)
    if existing is None:
        path = f"/repos/{repo}/rulesets"
        return [Action("create", resource, "POST", path, spec.body, ("ruleset",))]
    changes = ruleset_changes(spec.body, existing.body)
    if not changes:
        return []
    path = f"/repos/{repo}/rulesets/{existing.id}"
    return [Action("update", resource, "PUT", path, spec.body, tuple(changes))]


def ruleset_changes(want: Json, have: Json) -> list[str]:
    changes = [
        f"{key}: {have.get(key)!r} → {want[key]!r}"
        for key in ("target", "enforcement")
        if want.get(key) != have.get(key)
    ]
    want_ref = want["conditions"]["ref_name"]
    have_ref = ((have.get("conditions") or {}).get("ref_name")) or {}
    for key in ("include", "exclude"):
        if sorted(want_ref.get(key, [])) != sorted(have_ref.get(key) or []):
            changes.append(f"conditions.ref_name.{key}: {have_ref.get(key)} → {want_ref[key]}")
    if _actors(want["bypass_actors"]) != _actors(have.get("bypass_actors") or []):
        changes.append("bypass_actors")
    changes.extend(_rule_changes(want["rules"], have.get("rules") or []))
    return changes


def _actors(actors: list[Json]) -> set[tuple[str, Any, str]]:
    # OrganizationAdmin and DeployKey carry no meaningful id; GitHub may echo 1, 0 or null.
    return {
        (
            a["actor_type"],
            None if a["actor_type"] in ("OrganizationAdmin", "DeployKey") else a.get("actor_id"),
            a.get("bypass_mode", "always"),
        )
        for a in actors
    }


def _rule_changes(want: list[Json], have: list[Json]) -> list[str]:
    want_by = {r["type"]: r.get("parameters") or {} for r in want}
    have_by = {r["type"]: r.get("parameters") or {} for r in have}
    changes = [f"rules.{t}: missing" for t in sorted(want_by.keys() - have_by.keys())]
    changes += [f"rules.{t}: not in policy" for t in sorted(have_by.keys() - want_by.keys())]
    for rule_type in sorted(want_by.keys() & have_by.keys()):
        for key, value in want_by[rule_type].items():
            if _norm(key, value) != _norm(key, have_by[rule_type].get(key)):
                shown = value if not isinstance(value, list) else f"{len(value)} items"
                changes.append(f"rules.{rule_type}.{key}: → {shown}")
    return changes


def _norm(key: str, value: Any) -> Any:
    if key == "required_status_checks" and isinstance(value, list):
        return sorted((c.get("context"), c.get("integration_id")) for c in value)
    return value


# --- environments ----------------------------------------------------------------------------


def _environment(
    repo: str, spec: EnvironmentSpec, actual: ActualEnvironment | None
) -> list[Action]:
    resource = f"environment:{spec.name}"
    path = environment_path(repo, spec.name)
    if actual is None:
        actions = [Action("create", resource, "PUT", path, spec.body, ("environment",))]
        return actions + _branch_policies(repo, spec, {})
    have = environment_settings(actual.body)
    changes = [
        f"{key}: {have.get(key)!r} → {value!r}"
        for key, value in spec.body.items()
        if _env_norm(key, value) != _env_norm(key, have.get(key))
        and not (key == "prevent_self_review" and not spec.body.get("reviewers"))
    ]
    actions = []
    if changes:
        body = {**have, **spec.body}  # keep settings the policy does not manage
        actions.append(Action("update", resource, "PUT", path, body, tuple(changes)))
    return actions + _branch_policies(repo, spec, actual.branch_policies)


def environment_settings(env: Json) -> Json:
    """An environment as GitHub returns it, in the shape of the PUT body."""
    settings: Json = {"wait_timer": 0, "prevent_self_review": False, "reviewers": []}
    for rule in env.get("protection_rules") or []:
        if rule.get("type") == "wait_timer":
            settings["wait_timer"] = rule.get("wait_timer", 0)
        elif rule.get("type") == "required_reviewers":
            settings["prevent_self_review"] = bool(rule.get("prevent_self_review"))
            settings["reviewers"] = [
                {"type": r["type"], "id": (r.get("reviewer") or {}).get("id")}
                for r in rule.get("reviewers") or []
            ]
    policy = env.get("deployment_branch_policy")
    settings["deployment_branch_policy"] = (
        {
            "protected_branches": bool(policy.get("protected_branches")),
            "custom_branch_policies": bool(policy.get("custom_branch_policies")),
        }
        if policy
        else None
    )
    return settings


def _env_norm(key: str, value: Any) -> Any:
    if key == "reviewers":
        return sorted((r["type"], r["id"]) for r in value or [])
    return value


def _branch_policies(
    repo: str, spec: EnvironmentSpec, have: dict[tuple[str, str], int]
) -> list[Action]:
    policy = spec.body.get("deployment_branch_policy")
    if "deployment_branch_policy" not in spec.body:
        return []  # the policy does not manage who may deploy
    base = environment_path(repo, spec.name) + "/deployment-branch-policies"
    resource = f"environment:{spec.name}:branch-policy"
    actions = [
        Action("create", f"{resource}:{name}", "POST", base, {"name": name, "type": kind}, (kind,))
        for name, kind in sorted(spec.branch_policies - have.keys())
    ]
    if policy and policy.get("custom_branch_policies"):
        actions += [
            Action("delete", f"{resource}:{name}", "DELETE", f"{base}/{have[(name, kind)]}", None)
            for name, kind in sorted(have.keys() - spec.branch_policies)
        ]
    return actions


# --- classic branch protection ---------------------------------------------------------------


def _protection(repo: str, spec: ProtectionSpec, have: Json | None) -> list[Action]:
    path = protection_path(repo, spec.branch)
    resource = f"branch-protection:{spec.branch}"
    current = protection_settings(have) if have else None
    actions: list[Action] = []
    if current is None:
        actions.append(Action("create", resource, "PUT", path, spec.body, ("protection",)))
    else:
        changes = [
            f"{key}"
            for key, value in spec.body.items()
            if _prot_norm(value) != _prot_norm(current.get(key))
        ]
        if changes:
            actions.append(Action("update", resource, "PUT", path, spec.body, tuple(changes)))
    pinned_now = (current or {}).get("checks")
    if spec.checks is not None and (actions or _prot_norm(spec.checks) != _prot_norm(pinned_now)):
        body = {"checks": spec.checks}
        actions.append(
            Action(
                "update",
                f"{resource}:checks",
                "PATCH",
                f"{path}/required_status_checks",
                body,
                ("checks.app_id",),
            )
        )
    signed = bool((current or {}).get("signatures"))
    sig_path, sig_resource = f"{path}/required_signatures", f"{resource}:signatures"
    if spec.signatures and not signed:
        actions.append(Action("create", sig_resource, "POST", sig_path, None, ("signatures",)))
    elif signed and not spec.signatures:
        actions.append(Action("delete", sig_resource, "DELETE", sig_path, None, ("signatures",)))
    return actions


def protection_settings(p: Json) -> Json:
    """GET .../protection in the shape of the PUT body (plus checks and signatures)."""
    checks = p.get("required_status_checks")
    reviews = p.get("required_pull_request_reviews")
    review_keys = (
        "dismiss_stale_reviews",
        "require_code_owner_reviews",
        "required_approving_review_count",
        "require_last_push_approval",
    )
    settings: Json = {
        "required_status_checks": (
            {"strict": checks.get("strict"), "contexts": checks.get("contexts") or []}
            if checks
            else None
        ),
        "enforce_admins": _enabled(p, "enforce_admins"),
        "required_pull_request_reviews": (
            {k: reviews.get(k) for k in review_keys} if reviews else None
        ),
        "restrictions": p.get("restrictions"),
        "checks": [
            {"context": c["context"], "app_id": c.get("app_id")}
            for c in (checks or {}).get("checks") or []
        ],
        "signatures": _enabled(p, "required_signatures"),
    }
    for flag in (
        "required_linear_history",
        "allow_force_pushes",
        "allow_deletions",
        "required_conversation_resolution",
    ):
        settings[flag] = _enabled(p, flag)
    return settings


def _enabled(p: Json, key: str) -> bool:
    value = p.get(key)
    return bool(value.get("enabled")) if isinstance(value, dict) else bool(value)


def _prot_norm(value: Any) -> Any:
    """Order-free comparison of the nested protection settings."""
    if isinstance(value, dict):
        return {k: _prot_norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted(repr(_prot_norm(v)) for v in value)
    return value
