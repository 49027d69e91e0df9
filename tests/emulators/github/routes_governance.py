"""Emulated governance endpoints: rulesets, environments, branch protection, teams, users, apps."""

from __future__ import annotations

import copy
from typing import Any

from tests.emulators.github.core import Call, Reply
from tests.emulators.github.state import Repo, State

R = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
NOT_FOUND = Reply(404, {"message": "Not Found"})

_state: list[State] = []


def bind(state: State) -> None:
    """The handlers work on one State; the emulator binds it before dispatching."""
    _state[:] = [state]


def st() -> State:
    return _state[0]


def repo_of(call: Call, admin: bool = False) -> Repo | None:
    repo = st().repos.get(f"{call.params['owner']}/{call.params['repo']}")
    if repo is None or (admin and repo.forbidden):
        return None
    return repo


def forbidden(call: Call) -> Reply | None:
    repo = repo_of(call)
    if repo is None:
        return NOT_FOUND
    if repo.forbidden:
        return Reply(403, {"message": "Resource not accessible by integration"})
    return None


# --- lookups ---------------------------------------------------------------------------------


def get_team(call: Call) -> Reply:
    team = st().teams.get((call.params["org"], call.params["slug"]))
    return Reply(200, full_team(team)) if team else NOT_FOUND


def full_team(team: dict[str, Any]) -> dict[str, Any]:
    s = st()
    org = s.obj("team-organization", login=team["org"])
    return {**s.obj("team-full"), **s.team_obj(team), "organization": org}


def get_user(call: Call) -> Reply:
    user = st().users.get(call.params["login"])
    if user is None:
        return NOT_FOUND
    public = st().obj("public-user", **st().user_obj(user["login"]))
    return Reply(200, {**public, "user_view_type": "public"})


def authenticated_user(call: Call) -> Reply:
    """GET /user with a user token from the OAuth flow: the signed-in person, private view."""
    auth = call.headers.get("authorization", "").removeprefix("Bearer ").removeprefix("token ")
    oauth = st().oauth
    login = oauth.issued.get(auth) if oauth is not None else None
    if login is None:
        return Reply(403, {"message": "Resource not accessible by integration"})
    user = st().users.get(login) or st().add_user(login)
    body = st().obj("private-user", **st().user_obj(login))
    body.update(name=user.get("name"), email=user.get("email"), user_view_type="private")
    return Reply(200, body)


def get_app(call: Call) -> Reply:
    app = st().apps.get(call.params["slug"])
    if app is None:
        return NOT_FOUND
    return Reply(200, st().obj("integration", id=app["id"], slug=app["slug"], name=app["slug"]))


def get_repo(call: Call) -> Reply:
    repo = repo_of(call)
    return Reply(200, st().repo_obj(repo)) if repo else NOT_FOUND


def org_repos(call: Call) -> Reply:
    org = call.params["org"]
    repos = [r for name, r in sorted(st().repos.items()) if name.split("/")[0] == org]
    if not repos and not any(t[0] == org for t in st().teams):
        return NOT_FOUND
    return Reply(200, [st().minimal_repo_obj(r) for r in repos])


# --- rulesets --------------------------------------------------------------------------------


def _ruleset_view(ruleset: dict[str, Any], full: bool) -> dict[str, Any]:
    view = {
        k: ruleset[k]
        for k in ("id", "name", "target", "source_type", "source", "enforcement", "node_id")
    }
    view["_links"] = {"self": {"href": ruleset["url"]}, "html": {"href": ruleset["url"]}}
    view["created_at"], view["updated_at"] = ruleset["created_at"], ruleset["updated_at"]
    if full:
        # GitHub does not promise list order back; reversing proves callers do not rely on it.
        view["bypass_actors"] = list(reversed(ruleset["bypass_actors"]))
        view["conditions"] = ruleset["conditions"]
        view["rules"] = [_rule_view(r) for r in ruleset["rules"]]
        view["current_user_can_bypass"] = "never"
    return view


def _rule_view(rule: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(rule)
    params = out.get("parameters")
    if out["type"] == "pull_request" and params is not None:
        params.setdefault("allowed_merge_methods", ["merge", "squash", "rebase"])
        params.setdefault("required_reviewers", [])
    if out["type"] == "required_status_checks" and params is not None:
        params["required_status_checks"] = list(reversed(params["required_status_checks"]))
        params.setdefault("do_not_enforce_on_create", False)
    return out


def list_rulesets(call: Call) -> Reply:
    if (problem := forbidden(call)) is not None:
        return problem
    key = f"{call.params['owner']}/{call.params['repo']}"
    items = sorted(st().rulesets.get(key, {}).values(), key=lambda r: r["id"])
    return Reply(200, [_ruleset_view(r, full=False) for r in items])


def get_ruleset(call: Call) -> Reply:
    if (problem := forbidden(call)) is not None:
        return problem
    key = f"{call.params['owner']}/{call.params['repo']}"
    ruleset = st().rulesets.get(key, {}).get(int(call.params["id"]))
    return Reply(200, _ruleset_view(ruleset, full=True)) if ruleset else NOT_FOUND


def _check_ruleset(key: str, body: dict[str, Any], own_id: int | None) -> Reply | None:
    for other in st().rulesets.get(key, {}).values():
        if other["name"] == body.get("name") and other["id"] != own_id:
            return Reply(422, {"message": "Validation Failed", "errors": ["Name must be unique"]})
    for actor in body.get("bypass_actors", []):
        kind, actor_id = actor["actor_type"], actor.get("actor_id")
        unknown = (kind == "Team" and st().team_by_id(actor_id or 0) is None) or (
            kind == "Integration" and not any(a["id"] == actor_id for a in st().apps.values())
        )
        if unknown:
            return Reply(422, {"message": "Validation Failed", "errors": [f"Unknown {kind}"]})
        if actor.get("bypass_mode") == "pull_request" and body.get("target") == "tag":
            return Reply(422, {"message": "Validation Failed", "errors": ["Invalid bypass mode"]})
    return None


def create_ruleset(call: Call) -> Reply:
    if (problem := forbidden(call)) is not None:
        return problem
    key = f"{call.params['owner']}/{call.params['repo']}"
    if (invalid := _check_ruleset(key, call.body, None)) is not None:
        return invalid
    s, ruleset_id = st(), next(st().ids)
    now = s.now()
    ruleset = {
        "id": ruleset_id,
        "name": call.body["name"],
        "target": call.body.get("target", "branch"),
        "source_type": "Repository",
        "source": key,
        "enforcement": call.body["enforcement"],
        "node_id": f"RRS_{ruleset_id}",
        "url": f"{s.base}/api/v3/repos/{key}/rulesets/{ruleset_id}",
        "bypass_actors": [
            {"bypass_mode": "always", **a} for a in call.body.get("bypass_actors", [])
        ],
        "conditions": _conditions(call.body.get("conditions")),
        "rules": call.body.get("rules", []),
        "created_at": now,
        "updated_at": now,
    }
    s.rulesets.setdefault(key, {})[ruleset_id] = ruleset
    return Reply(201, _ruleset_view(ruleset, full=True))


def _conditions(conditions: dict[str, Any] | None) -> dict[str, Any]:
    ref = (conditions or {}).get("ref_name", {})
    return {"ref_name": {"include": ref.get("include", []), "exclude": ref.get("exclude", [])}}


def update_ruleset(call: Call) -> Reply:
    if (problem := forbidden(call)) is not None:
        return problem
    key = f"{call.params['owner']}/{call.params['repo']}"
    ruleset = st().rulesets.get(key, {}).get(int(call.params["id"]))
    if ruleset is None:
        return NOT_FOUND
    if (invalid := _check_ruleset(key, {**ruleset, **call.body}, ruleset["id"])) is not None:
        return invalid
    for field in ("name", "target", "enforcement", "rules"):
        if field in call.body:
            ruleset[field] = call.body[field]
    if "bypass_actors" in call.body:
        ruleset["bypass_actors"] = [
            {"bypass_mode": "always", **a} for a in call.body["bypass_actors"]
        ]
    if "conditions" in call.body:
        ruleset["conditions"] = _conditions(call.body["conditions"])
    ruleset["updated_at"] = st().now()
    return Reply(200, _ruleset_view(ruleset, full=True))


def delete_ruleset(call: Call) -> Reply:
    if (problem := forbidden(call)) is not None:
        return problem
    key = f"{call.params['owner']}/{call.params['repo']}"
    removed = st().rulesets.get(key, {}).pop(int(call.params["id"]), None)
    return Reply(204) if removed else NOT_FOUND
