"""Emulated environments, deployment branch policies and classic branch protection."""

from __future__ import annotations

from typing import Any

from tests.emulators.github.core import Call, Reply
from tests.emulators.github.routes_governance import NOT_FOUND, forbidden, repo_of, st

INVALID = "Validation Failed"


def _key(call: Call) -> str:
    return f"{call.params['owner']}/{call.params['repo']}"


def _env_view(key: str, env: dict[str, Any]) -> dict[str, Any]:
    s = st()
    rules: list[dict[str, Any]] = []
    if env["wait_timer"]:
        rules.append(
            {
                "id": env["id"] + 1,
                "node_id": "GA_w",
                "type": "wait_timer",
                "wait_timer": env["wait_timer"],
            }
        )
    if env["reviewers"]:
        reviewers = []
        for r in env["reviewers"]:
            if r["type"] == "Team":
                team = s.team_by_id(r["id"])
                reviewers.append({"type": "Team", "reviewer": s.team_obj(team or {})})
            else:
                user = s.user_by_id(r["id"]) or {"login": "ghost"}
                reviewers.append({"type": "User", "reviewer": s.user_obj(user["login"])})
        rules.append(
            {
                "id": env["id"] + 2,
                "node_id": "GA_r",
                "type": "required_reviewers",
                "prevent_self_review": env["prevent_self_review"],
                "reviewers": reviewers,
            }
        )
    return {
        "id": env["id"],
        "node_id": f"EN_{env['id']}",
        "name": env["name"],
        "url": f"{s.base}/api/v3/repos/{key}/environments/{env['name']}",
        "html_url": f"{s.base}/{key}/deployments",
        "created_at": env["created_at"],
        "updated_at": env["updated_at"],
        "protection_rules": rules,
        "deployment_branch_policy": env["deployment_branch_policy"],
        "can_admins_bypass": True,
    }


def list_environments(call: Call) -> Reply:
    if repo_of(call) is None:
        return NOT_FOUND
    envs = st().environments.get(_key(call), {})
    views = [_env_view(_key(call), e) for _, e in sorted(envs.items())]
    return Reply(200, {"total_count": len(views), "environments": views})


def get_environment(call: Call) -> Reply:
    env = st().environments.get(_key(call), {}).get(call.params["env"])
    return Reply(200, _env_view(_key(call), env)) if env and repo_of(call) else NOT_FOUND


def put_environment(call: Call) -> Reply:
    if (problem := forbidden(call)) is not None:
        return problem
    body = call.body or {}
    s = st()
    for r in body.get("reviewers") or []:
        known = s.team_by_id(r["id"]) if r["type"] == "Team" else s.user_by_id(r["id"])
        if known is None:
            return Reply(
                422, {"message": INVALID, "errors": [f"reviewers: unknown {r['type']} {r['id']}"]}
            )
    policy = body.get("deployment_branch_policy")
    if policy is not None and policy["protected_branches"] == policy["custom_branch_policies"]:
        return Reply(422, {"message": INVALID, "errors": ["deployment_branch_policy: choose one"]})
    envs = s.environments.setdefault(_key(call), {})
    name = call.params["env"]
    now = s.now()
    env = envs.get(name) or {"id": next(s.ids) * 10, "name": name, "created_at": now}
    env.update(
        wait_timer=body.get("wait_timer", 0),
        prevent_self_review=body.get("prevent_self_review", False),
        reviewers=list(body.get("reviewers") or []),
        deployment_branch_policy=policy,
        updated_at=now,
    )
    envs[name] = env
    if not (policy and policy["custom_branch_policies"]):
        s.branch_policies.pop((_key(call), name), None)  # GitHub drops them with the mode
    return Reply(200, _env_view(_key(call), env))


def delete_environment(call: Call) -> Reply:
    removed = st().environments.get(_key(call), {}).pop(call.params["env"], None)
    return Reply(204) if removed else NOT_FOUND


def list_branch_policies(call: Call) -> Reply:
    env = st().environments.get(_key(call), {}).get(call.params["env"])
    if env is None:
        return NOT_FOUND
    items = sorted(
        st().branch_policies.get((_key(call), env["name"]), {}).values(), key=lambda p: p["id"]
    )
    return Reply(200, {"total_count": len(items), "branch_policies": items})


def create_branch_policy(call: Call) -> Reply:
    env = st().environments.get(_key(call), {}).get(call.params["env"])
    policy = env and env["deployment_branch_policy"]
    if not env or not policy or not policy["custom_branch_policies"]:
        return NOT_FOUND  # GitHub: 404 unless the environment uses custom branch policies
    store = st().branch_policies.setdefault((_key(call), env["name"]), {})
    kind = call.body.get("type", "branch")
    for existing in store.values():
        if existing["name"] == call.body["name"] and existing["type"] == kind:
            return Reply(303, None, {"location": f"{call.path}/{existing['id']}"})
    policy_id = next(st().ids)
    item = {"id": policy_id, "node_id": f"DBP_{policy_id}", "name": call.body["name"], "type": kind}
    store[policy_id] = item
    return Reply(200, item)


def delete_branch_policy(call: Call) -> Reply:
    store = st().branch_policies.get((_key(call), call.params["env"]), {})
    return Reply(204) if store.pop(int(call.params["id"]), None) else NOT_FOUND


# --- classic branch protection ---------------------------------------------------------------


def _protection_view(key: str, branch: str, p: dict[str, Any]) -> dict[str, Any]:
    url = f"{st().base}/api/v3/repos/{key}/branches/{branch}/protection"
    view: dict[str, Any] = {"url": url, "enabled": True}
    checks = p.get("required_status_checks")
    if checks is not None:
        view["required_status_checks"] = {
            "url": f"{url}/required_status_checks",
            "strict": checks["strict"],
            "contexts": [c["context"] for c in checks["checks"]],
            "checks": list(reversed(checks["checks"])),
            "contexts_url": f"{url}/required_status_checks/contexts",
        }
    view["enforce_admins"] = {"url": f"{url}/enforce_admins", "enabled": bool(p["enforce_admins"])}
    reviews = p.get("required_pull_request_reviews")
    if reviews is not None:
        view["required_pull_request_reviews"] = {
            "url": f"{url}/required_pull_request_reviews",
            **reviews,
        }
    view["required_signatures"] = {"url": f"{url}/required_signatures", "enabled": p["signatures"]}
    for flag in (
        "required_linear_history",
        "allow_force_pushes",
        "allow_deletions",
        "block_creations",
        "required_conversation_resolution",
        "lock_branch",
        "allow_fork_syncing",
    ):
        view[flag] = {"enabled": bool(p.get(flag))}
    return view


def get_protection(call: Call) -> Reply:
    repo = repo_of(call)
    p = st().protections.get((_key(call), call.params["branch"]))
    if repo is None or p is None:
        return Reply(404, {"message": "Branch not protected"})
    return Reply(200, _protection_view(_key(call), call.params["branch"], p))


def put_protection(call: Call) -> Reply:
    repo = repo_of(call)
    if repo is None or call.params["branch"] not in repo.branches:
        return Reply(404, {"message": "Branch not found"})  # what GitHub says to `release/*`
    body = call.body
    checks = body["required_status_checks"]
    if checks is not None and "contexts" in checks and "checks" in checks:
        return Reply(
            422, {"message": 'Invalid request.\n\nMore than one subschema in "oneOf" matched.'}
        )
    if checks is not None:
        items = checks.get("checks") or [{"context": c, "app_id": None} for c in checks["contexts"]]
        checks = {"strict": checks["strict"], "checks": items}
    key = (_key(call), call.params["branch"])
    old = st().protections.get(key, {})
    st().protections[key] = {
        **{k: body.get(k) for k in body},
        "required_status_checks": checks,
        "signatures": old.get("signatures", False),
    }
    return Reply(200, _protection_view(key[0], key[1], st().protections[key]))


def patch_status_checks(call: Call) -> Reply:
    p = st().protections.get((_key(call), call.params["branch"]))
    if p is None or p.get("required_status_checks") is None:
        return NOT_FOUND
    checks = p["required_status_checks"]
    if "strict" in call.body:
        checks["strict"] = call.body["strict"]
    if "checks" in call.body:
        checks["checks"] = call.body["checks"]
    view = _protection_view(_key(call), call.params["branch"], p)["required_status_checks"]
    return Reply(200, view)


def post_signatures(call: Call) -> Reply:
    p = st().protections.get((_key(call), call.params["branch"]))
    if p is None:
        return NOT_FOUND
    p["signatures"] = True
    url = f"{st().base}/api/v3/repos/{_key(call)}/branches/{call.params['branch']}/protection"
    return Reply(200, {"url": f"{url}/required_signatures", "enabled": True})
