"""What the emulated GitHub holds, inspectable by tests: repos, rulesets, environments, teams…"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.github import spec


@dataclass
class Repo:
    full_name: str
    id: int
    default_branch: str = "main"
    branches: set[str] = field(default_factory=lambda: {"main"})
    forbidden: bool = False  # the token lacks admin: governance endpoints answer 403/404


class AppInstallation:
    """One GitHub App installed once: verifies its JWTs and issues one-hour tokens."""

    def __init__(
        self, app_id: int, public_key: str, installation_id: int, tokens: set[str]
    ) -> None:
        self.app_id, self.public_key, self.installation_id = app_id, public_key, installation_id
        self.tokens = tokens
        self.issued: list[str] = []
        self.jwts_seen = 0
        self.token_lifetime = 3600  # seconds, as on GitHub

    def verify(self, authorization: str) -> bool:
        import jwt

        try:
            claims = jwt.decode(
                authorization.removeprefix("Bearer "), self.public_key, algorithms=["RS256"]
            )
        except jwt.PyJWTError:
            return False
        self.jwts_seen += 1
        return bool(claims.get("iss") == str(self.app_id) and claims["exp"] - claims["iat"] <= 600)

    def issue(self) -> str:
        token = f"ghs_installation{len(self.issued):04d}abcdefghijklmnop"
        self.issued.append(token)
        self.tokens.add(token)
        return token

    def expires_at(self) -> str:
        import datetime as dt

        end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.token_lifetime)
        return end.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class State:
    base: str
    repos: dict[str, Repo] = field(default_factory=dict)
    teams: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (org, slug)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # login -> user
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> app
    rulesets: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    environments: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    branch_policies: dict[tuple[str, str], dict[int, dict[str, Any]]] = field(default_factory=dict)
    protections: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    releases: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    assets: dict[int, dict[str, Any]] = field(default_factory=dict)  # asset id -> asset
    asset_data: dict[int, bytes] = field(default_factory=dict)
    pulls: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    check_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # repo -> runs
    # custom deployment protection rules (issue 18): (repo, run id) -> environments waiting,
    # and the answers the App gave, in order
    waiting_runs: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    protection_answers: list[dict[str, Any]] = field(default_factory=list)
    run_approvals: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    app_auth: AppInstallation | None = None
    oauth: Any = None  # tests.emulators.github.oauth.OAuth: user tokens -> logins
    tokens: set[str] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- seeding ------------------------------------------------------------------------------

    def add_repo(self, full_name: str, *, default_branch: str = "main") -> Repo:
        repo = Repo(full_name, next(self.ids), default_branch, {default_branch})
        self.repos[full_name] = repo
        return repo

    def add_check_run(
        self, repo: str, sha: str, name: str, status: str = "completed", conclusion: str = "success"
    ) -> None:
        run = {"id": next(self.ids), "sha": sha, "name": name, "status": status}
        self.check_runs.setdefault(repo, []).append(run | {"conclusion": conclusion})

    def add_waiting_run(self, repo: str, run_id: int, environment: str) -> None:
        """A workflow run whose job targets `environment`, held for the App's protection rule."""
        self.waiting_runs.setdefault((repo, run_id), set()).add(environment)

    def add_run_approval(
        self, repo: str, run_id: int, environment: str, login: str, comment: str
    ) -> None:
        """A reviewer approved `environment` for workflow run `run_id` with `comment`."""
        review = {"environment": environment, "login": login, "comment": comment}
        self.run_approvals.setdefault((repo, run_id), []).append(review | {"state": "approved"})

    def add_team(self, org: str, slug: str) -> dict[str, Any]:
        team = {"id": next(self.ids), "slug": slug, "name": slug, "org": org}
        self.teams[(org, slug)] = team
        return team

    def add_user(self, login: str) -> dict[str, Any]:
        user = {"id": next(self.ids), "login": login}
        self.users[login] = user
        return user

    def add_app(self, slug: str, app_id: int | None = None) -> dict[str, Any]:
        app = {"id": app_id or next(self.ids), "slug": slug}
        self.apps[slug] = app
        return app

    def now(self) -> str:
        # A strictly increasing clock, so every update changes `updated_at` (as on GitHub).
        tick = next(self.clock)
        return f"2025-01-01T{tick // 3600 % 24:02d}:{tick // 60 % 60:02d}:{tick % 60:02d}Z"

    # --- response objects (schema skeleton + our fields) --------------------------------------

    def obj(self, schema_name: str, **fields: Any) -> dict[str, Any]:
        base = spec.skeleton({"$ref": f"#/components/schemas/{schema_name}"})
        base.update(fields)
        return dict(base)

    def user_obj(self, login: str) -> dict[str, Any]:
        user = self.users.get(login) or self.add_user(login)
        return self.obj(
            "simple-user",
            login=login,
            id=user["id"],
            url=f"{self.base}/api/v3/users/{login}",
            type="User",
        )

    def team_obj(self, team: dict[str, Any]) -> dict[str, Any]:
        org, slug = team["org"], team["slug"]
        return self.obj(
            "team",
            id=team["id"],
            slug=slug,
            name=team["name"],
            url=f"{self.base}/api/v3/orgs/{org}/teams/{slug}",
            parent=None,
        )

    def team_by_id(self, team_id: int) -> dict[str, Any] | None:
        return next((t for t in self.teams.values() if t["id"] == team_id), None)

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        return next((u for u in self.users.values() if u["id"] == user_id), None)

    def repo_obj(self, repo: Repo) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        return self.obj(
            "full-repository",
            id=repo.id,
            name=name,
            full_name=repo.full_name,
            default_branch=repo.default_branch,
            owner=self.user_obj(owner),
            private=False,
            archived=False,
        )

    def minimal_repo_obj(self, repo: Repo) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        return self.obj(
            "minimal-repository",
            id=repo.id,
            name=name,
            full_name=repo.full_name,
            owner=self.user_obj(owner),
            default_branch=repo.default_branch,
            archived=False,
        )
