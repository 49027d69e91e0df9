"""The policy model: everything `trainmaster.yaml` can say, validated when built.

A `Policy` that exists is valid: cross-references (gates naming signals, roles naming actions,
hotfix gates naming stage gates) are checked here, not at use.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trainmaster.config.types import REPO_PATTERN, Duration, SecretRef

MAX_WAIT_TIMER = timedelta(minutes=43200)  # GitHub's limit for an environment wait timer
MAX_ENV_REVIEWERS = 6  # GitHub's limit of reviewers per environment
GITHUB_ACTIONS_APP_ID = 15368  # integration id that reports GitHub Actions check runs


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


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


# --- Train -----------------------------------------------------------------------------------


class Cadence(Strict):
    cron: str = Field("0 18 * * 4", description="Five-field cron; the seed's train is Thu 18:00.")
    timezone: str = Field("UTC", description="IANA time zone the cron is read in.")

    @model_validator(mode="after")
    def _fires(self) -> Cadence:
        from trainmaster.config.calendar import check_cron

        check_cron(self.cron, self.timezone)
        return self


class FreezeWindow(Strict):
    name: str
    reason: str = Field(min_length=1)
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to", description="Inclusive last day.")
    rrule: str | None = Field(None, description="RFC 5545 RRULE for recurring freezes.")
    duration: Duration | None = Field(None, description="Length of each recurring freeze.")

    @model_validator(mode="after")
    def _shape(self) -> FreezeWindow:
        if self.rrule:
            if self.duration is None:
                raise ValueError("a recurring freeze (rrule) needs a duration")
            from trainmaster.config.calendar import check_rrule

            check_rrule(self.rrule)
        elif self.start is None or self.end is None:
            raise ValueError("a freeze window needs from/to dates or an rrule with a duration")
        elif self.end < self.start:
            raise ValueError("a freeze window ends before it starts")
        return self


class VersionScheme(StrEnum):
    SEMVER = "semver"
    CALVER = "calver"


class Versioning(Strict):
    scheme: VersionScheme = VersionScheme.SEMVER
    calver_format: str = Field("YYYY.0M.MICRO", description="Used when scheme is calver.")
    initial: str = Field("0.1.0", description="First version when no release tag exists.")


class Hotfix(Strict):
    enabled: bool = True
    branch: str = Field("hotfix/{version}", description="Branch pattern for a hotfix.")
    gates: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per stage, the gates a hotfix keeps; a stage not listed keeps all.",
    )
    approvals: int | None = Field(1, ge=0, description="Quorum override for hotfixes.")


class Train(Strict):
    cadence: Cadence = Field(default_factory=Cadence)
    freeze: list[FreezeWindow] = Field(default_factory=list)
    skip: list[date] = Field(default_factory=list, description="Dates with no scheduled cut.")
    hotfix: Hotfix = Field(default_factory=Hotfix)
    versioning: Versioning = Field(default_factory=Versioning)
    default_branch: str = "main"
    release_branch: str = Field("release/{version}", description="Branch cut for each train.")
    tag: str = Field("v{version}", description="Annotated tag for each release.")
    artifact: str = Field(
        "ghcr.io/{owner}/{repo}", description="Image repository; releases are pinned by digest."
    )

    @field_validator("release_branch", "tag")
    @classmethod
    def _has_version(cls, value: str) -> str:
        if "{version}" not in value:
            raise ValueError("the pattern must contain {version}")
        return value


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


# --- Stages, gates and approvals --------------------------------------------------------------

BUILTIN_GATES = frozenset({"ci-checks", "preview-deploy", "smoke", "load", "migrations"})


class Approval(Strict):
    quorum: int = Field(0, ge=0, le=10, description="Distinct approvers needed.")
    distinct: bool = True
    exclude_author: bool = True
    exclude_promoter: bool = True
    reason_required: bool = True
    wait: Duration = Field(timedelta(0), description="Minimum time after the gates passed.")
    roles: list[str] = Field(default_factory=list, description="Roles allowed to approve.")


class Watch(Strict):
    duration: Duration = Field(timedelta(minutes=30), alias="for")
    interval: Duration = timedelta(seconds=30)


class Stage(Strict):
    namespace: str
    service: str = "maestro"
    strategy: Literal["none", "blue-green", "canary"] = "none"
    auto_promotion: bool = False
    scale_down_delay: Duration = Field(
        timedelta(seconds=30), description="How long the old colour lives after a switch."
    )
    ttl: Duration | None = Field(None, description="Preview environments expire after this.")
    gates: list[str] = Field(default_factory=list)
    approval: Approval = Field(default_factory=Approval)
    watch: Watch | None = None


class NoData(StrEnum):
    INCONCLUSIVE = "inconclusive"
    FAIL = "fail"
    PASS = "pass"


class SignalKind(StrEnum):
    SUSTAINED = "sustained"  # every point of the last `for` over the threshold
    WINDOW = "window"  # one value over the window (a ratio of rates)
    BURN_RATE = "burn_rate"  # error ratio / (1 - SLO) over long and short windows
    MIGRATION = "migration"  # any breach reported by the migration gate


class BurnWindow(Strict):
    long: Duration
    short: Duration
    factor: float = Field(gt=0)


class Signal(Strict):
    kind: SignalKind
    description: str = ""
    query: str | None = Field(None, description="PromQL; $service, $namespace, $window filled in.")
    errors_query: str | None = Field(None, description="Burn rate: errors over $window.")
    total_query: str | None = Field(None, description="Burn rate: requests over $window.")
    threshold: float | None = None
    comparison: Literal[">", ">=", "<", "<="] = ">"
    duration: Duration | None = Field(None, alias="for", description="Sustained period.")
    window: Duration | None = None
    step: Duration = Field(timedelta(seconds=30), description="Resolution of range queries.")
    slo: float | None = Field(None, gt=0, lt=1, description="Burn rate: the SLO target.")
    windows: list[BurnWindow] = Field(default_factory=list)
    preset: Literal["sre-workbook"] | None = Field(
        None, description="Burn rate: the Google SRE workbook's multi-window table."
    )
    no_data: NoData = NoData.INCONCLUSIVE

    @model_validator(mode="after")
    def _complete(self) -> Signal:
        needs: dict[SignalKind, tuple[str, ...]] = {
            SignalKind.SUSTAINED: ("query", "threshold", "duration"),
            SignalKind.WINDOW: ("query", "threshold", "window"),
            SignalKind.BURN_RATE: ("errors_query", "total_query", "slo"),
            SignalKind.MIGRATION: (),
        }
        missing = [f for f in needs[self.kind] if getattr(self, f) is None]
        if missing:
            names = ", ".join("for" if f == "duration" else f for f in missing)
            raise ValueError(f"a {self.kind.value} signal needs {names}")
        if self.kind is SignalKind.BURN_RATE and not (self.windows or self.preset):
            raise ValueError("a burn_rate signal needs windows or a preset")
        return self


# --- Roles, notify, evidence, store, backends ------------------------------------------------

ACTIONS = frozenset(
    {
        "train.cut",
        "train.hotfix",
        "train.abort",
        "approve",
        "promote",
        "rollback",
        "rollout.pin",
        "rollout.deploy",
        "rollout.abort",
        "rollout.promote",
        "rollout.undo",
        "governance.apply",
        "preview.up",
        "preview.down",
        "preview.sweep",
        "secrets.access",
        "evidence.build",
        "evidence.publish",
        "gate.override",
        "dr.drill",
    }
)


class Role(Strict):
    title: str
    members: list[str] = Field(default_factory=list, description="Logins or emails.")
    may: list[str] = Field(default_factory=list, description="Actions this role may take.")

    @field_validator("may")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for action in value:
            if action != "*" and action not in ACTIONS:
                import difflib

                hint = difflib.get_close_matches(action, sorted(ACTIONS), n=1)
                more = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ValueError(f"unknown action {action!r}{more}")
        return value


class Authorization(Strict):
    """Who may take a risky action and whether they said why (docs/policy.md, `authorization`)."""

    modules: list[str] = Field(
        default_factory=list,
        description="Rego files or folders, relative to the policy, added to the built-in bundle "
        "(package trainmaster.authz; each `deny` adds a reason to refuse). *_test.rego files "
        "hold unit tests, run only by `trainmaster authz test`.",
    )
    reason_min_length: int = Field(
        4,
        ge=1,
        le=200,
        description="Characters a reason-for-access needs on a risky action; 4 refuses 'ok'.",
    )
    production_stages: list[str] = Field(
        default_factory=lambda: ["prod"],
        description="Stages where rollout deploy and promote are risky (need a reason).",
    )


class Webhook(Strict):
    url: SecretRef
    events: list[str] = Field(default_factory=lambda: ["*"])


class Notify(Strict):
    slack: Webhook | None = None
    webhooks: list[Webhook] = Field(default_factory=list)


class Evidence(Strict):
    dir: str = "evidence"
    signing_key_path: str | None = None
    signing_key_env: str | None = Field(None, description="Env var with a PEM Ed25519 key.")


class Store(Strict):
    url: str = Field(
        "sqlite:///.trainmaster/state.db",
        description="SQLAlchemy URL; relative SQLite paths are relative to the policy file.",
    )


class LocalTarget(Strict):
    command: str = Field(
        "python -m app --port {port}", description="Command for one release; {port} is filled."
    )
    health_path: str = "/healthz"
    metrics_path: str = "/metrics"
    workdir: str = "."
    proxy_port: int = Field(0, ge=0, le=65535, description="0 picks a free loopback port.")


class Backends(Strict):
    forge: Literal["github", "none"] = "github"
    cluster: Literal["argo-rollouts", "local"] = "argo-rollouts"
    metrics: Literal["prometheus", "scrape"] = "prometheus"
    prometheus_url: str = "http://127.0.0.1:9090"
    kubeconfig: str | None = None
    local: LocalTarget = Field(default_factory=LocalTarget)


NOTE_TEMPLATES = ("release.md", "release.slack", "announce.md", "announce.slack")


class Notes(Strict):
    templates: dict[str, str] = Field(
        default_factory=dict,
        description="Jinja2 template files overriding the built-in ones, relative to the policy: "
        "keys release.md, release.slack, announce.md, announce.slack.",
    )
    link_base: str | None = Field(
        None,
        description="Web URL of the repository for PR and commit links; from github when unset.",
    )

    @field_validator("templates")
    @classmethod
    def _known_templates(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key not in NOTE_TEMPLATES:
                raise ValueError(f"unknown template {key!r}; known: {', '.join(NOTE_TEMPLATES)}")
        return value


class Project(Strict):
    name: str = "maestro"
    owner: str = Field("", description="On-call owner shown in announcements.")
    pager: str = ""


# --- The policy ------------------------------------------------------------------------------

RepoName = Annotated[str, Field(pattern=REPO_PATTERN)]


class Policy(Strict):
    """The whole release train: one file, everything else reads it."""

    version: Literal[1] = 1
    project: Project = Field(default_factory=Project)
    repos: list[RepoName] = Field(default_factory=list)
    github: GitHub = Field(default_factory=GitHub)
    train: Train = Field(default_factory=Train)
    governance: Governance = Field(default_factory=Governance)
    checks: Checks = Field(default_factory=Checks)
    stages: dict[str, Stage] = Field(default_factory=dict)
    signals: dict[str, Signal] = Field(default_factory=dict)
    roles: dict[str, Role] = Field(default_factory=dict)
    authorization: Authorization = Field(default_factory=Authorization)
    notify: Notify = Field(default_factory=Notify)
    evidence: Evidence = Field(default_factory=Evidence)
    store: Store = Field(default_factory=Store)
    backends: Backends = Field(default_factory=Backends)
    notes: Notes = Field(default_factory=Notes)

    @model_validator(mode="after")
    def _references(self) -> Policy:
        known = BUILTIN_GATES | set(self.signals)
        for name, stage in self.stages.items():
            for i, gate in enumerate(stage.gates):
                if gate not in known:
                    raise ValueError(_unknown(f"stages.{name}.gates.{i}", gate, known))
            for i, role in enumerate(stage.approval.roles):
                if role not in self.roles:
                    where = f"stages.{name}.approval.roles.{i}"
                    raise ValueError(_unknown(where, role, self.roles))
        for stage_name, gates in self.train.hotfix.gates.items():
            if stage_name not in self.stages:
                raise ValueError(
                    _unknown(f"train.hotfix.gates.{stage_name}", stage_name, self.stages)
                )
            for i, gate in enumerate(gates):
                if gate not in self.stages[stage_name].gates:
                    raise ValueError(
                        f"train.hotfix.gates.{stage_name}.{i}: {gate!r} is not a gate of that stage"
                    )
        return self

    @model_validator(mode="after")
    def _production_stages(self) -> Policy:
        # Only names the policy wrote: the default ([prod]) must not break a policy without prod.
        if "production_stages" in self.authorization.model_fields_set:
            for i, name in enumerate(self.authorization.production_stages):
                if name not in self.stages:
                    where = f"authorization.production_stages.{i}"
                    raise ValueError(_unknown(where, name, self.stages))
        return self

    def stage(self, name: str) -> Stage:
        from trainmaster.errors import UsageError

        if name not in self.stages:
            raise UsageError(_unknown("stage", name, self.stages))
        return self.stages[name]


def _unknown(where: str, name: str, known: object) -> str:
    import difflib

    choices = sorted(str(k) for k in known)  # type: ignore[attr-defined]
    hint = difflib.get_close_matches(name, choices, n=1)
    more = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(choices) or 'none'}"
    return f"{where}: unknown {name!r}{more}"
