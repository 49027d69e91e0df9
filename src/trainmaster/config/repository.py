"""Policy sections about the repository on GitHub: the API and auth, protections, environments,
required checks. What `governance` makes true and `checks` lints against."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from trainmaster.config.base import Strict
from trainmaster.config.types import Duration

MAX_WAIT_TIMER = timedelta(minutes=43200)  # GitHub's limit for an environment wait timer
MAX_ENV_REVIEWERS = 6  # GitHub's limit of reviewers per environment
GITHUB_ACTIONS_APP_ID = 15368  # integration id that reports GitHub Actions check runs


# --- GitHub -----------------------------------------------------------------------------------


class TokenAuth(Strict):
    token_env: str = Field("GITHUB_TOKEN", description="Environment variable holding the token.")


class AppAuth(Strict):
    app_id: int = Field(gt=0)
    private_key_path: str = Field(description="PEM file of the GitHub App's private key.")
    installation_id: int | None = Field(None, gt=0, description="Looked up per repo when unset.")


class OrgSelection(Strict):
    org: str
    include: list[str] = Field(default_factory=lambda: ["*"], description="fnmatch name patterns")
    exclude: list[str] = Field(default_factory=list)


class GitHub(Strict):
    api_url: str = Field(
        "https://api.github.com",
        description="REST base URL; GitHub Enterprise Server uses https://HOST/api/v3.",
    )
    auth: TokenAuth | AppAuth = Field(default_factory=TokenAuth)
    org_repos: OrgSelection | None = None

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("api_url must be an http(s) URL")
        return value.rstrip("/")


# --- Governance ------------------------------------------------------------------------------


class Reviews(Strict):
    required_approving_review_count: int = Field(2, ge=0, le=10)
    dismiss_stale_reviews: bool = True
    require_code_owner_reviews: bool = True
    require_last_push_approval: bool = True


class RequiredChecks(Strict):
    strict: bool = Field(True, description="Branch must be up to date before merging.")
    app_id: int | None = Field(
        GITHUB_ACTIONS_APP_ID, description="App each check is pinned to; null accepts any source."
    )


class BranchRules(Strict):
    require_signed_commits: bool = True
    enforce_admins: bool = True
    required_checks: RequiredChecks | None = Field(default_factory=RequiredChecks)
    reviews: Reviews | None = Field(default_factory=Reviews)
    required_linear_history: bool = True
    allow_force_pushes: bool = False
    allow_deletions: bool = False
    required_conversation_resolution: bool = True


class RefRules(Strict):
    pattern: str
    require_signed_commits: bool = False
    required_linear_history: bool = True
    allow_force_pushes: bool = False
    allow_deletions: bool = False
    allow_updates: bool = Field(True, description="False blocks any push to matching refs.")
    allow_creations: bool = Field(True, description="False restricts creation to bypass actors.")
    required_conversation_resolution: bool = False


RefScope = Literal["default_branch", "release_branches", "tags"]


def _release_scopes() -> list[RefScope]:
    return ["release_branches", "tags"]


class BypassActor(Strict):
    kind: Literal["app", "team", "role", "org-admin", "deploy-key"]
    name: str | None = Field(None, description="App slug, team slug or role name.")
    id: int | None = Field(None, gt=0, description="Numeric id when already known.")
    mode: Literal["always", "pull_request"] = "always"
    applies_to: list[RefScope] = Field(default_factory=_release_scopes)

    @model_validator(mode="after")
    def _named(self) -> BypassActor:
        if self.kind in ("app", "team", "role") and not (self.name or self.id):
            raise ValueError(f"a {self.kind} bypass actor needs a name or an id")
        return self


class Reviewer(Strict):
    team: str | None = Field(None, description="Team slug in the repository's organization.")
    user: str | None = Field(None, description="User login.")

    @model_validator(mode="after")
    def _one(self) -> Reviewer:
        if (self.team is None) == (self.user is None):
            raise ValueError("a reviewer is exactly one of team (slug) or user (login)")
        return self


class DeploymentBranches(Strict):
    protected_branches: bool = Field(False, description="Only protected branches may deploy.")
    custom: list[str] = Field(default_factory=list, description="Branch/tag name patterns.")

    @model_validator(mode="after")
    def _exclusive(self) -> DeploymentBranches:
        if self.protected_branches and self.custom:
            raise ValueError("choose protected_branches or custom patterns, not both (GitHub rule)")
        return self


class Environment(Strict):
    reviewers: list[Reviewer] = Field(default_factory=list)
    wait_timer: Duration = timedelta(0)
    prevent_self_review: bool = True
    deployment_branches: DeploymentBranches | None = None

    @field_validator("reviewers")
    @classmethod
    def _max_reviewers(cls, value: list[Reviewer]) -> list[Reviewer]:
        if len(value) > MAX_ENV_REVIEWERS:
            raise ValueError(
                f"GitHub allows at most {MAX_ENV_REVIEWERS} reviewers, got {len(value)}"
            )
        return value

    @field_validator("wait_timer")
    @classmethod
    def _max_wait(cls, value: timedelta) -> timedelta:
        if value > MAX_WAIT_TIMER:
            raise ValueError("GitHub allows a wait timer of at most 43200 minutes (30 days)")
        if value.total_seconds() % 60:
            raise ValueError("GitHub wait timers are whole minutes")
        return value


class Governance(Strict):
    mode: Literal["rulesets", "branch-protection"] = Field(
        "rulesets", description="How the default branch is protected; patterns always use rulesets."
    )
    default_branch: BranchRules = Field(default_factory=BranchRules)
    release_branches: RefRules = Field(
        default_factory=lambda: RefRules(pattern="release/*", allow_creations=True)
    )
    tags: RefRules = Field(
        default_factory=lambda: RefRules(
            pattern="v*", required_linear_history=False, allow_updates=False
        )
    )
    bypass_actors: list[BypassActor] = Field(default_factory=list)
    environments: dict[str, Environment] = Field(default_factory=dict)


# --- Checks ----------------------------------------------------------------------------------


class RequiredCheck(Strict):
    context: str = Field(min_length=1)
    purpose: str = ""


class Checks(Strict):
    required: list[RequiredCheck] = Field(default_factory=list)

    @field_validator("required")
    @classmethod
    def _unique(cls, value: list[RequiredCheck]) -> list[RequiredCheck]:
        seen: set[str] = set()
        for check in value:
            if check.context in seen:
                raise ValueError(f"required check {check.context!r} is listed twice")
            seen.add(check.context)
        return value

    @property
    def contexts(self) -> list[str]:
        return [c.context for c in self.required]
