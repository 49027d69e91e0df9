"""The policy model: everything `trainmaster.yaml` can say, validated when built.

A `Policy` that exists is valid: cross-references (gates naming signals, roles naming actions,
hotfix gates naming stage gates) are checked here, not at use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from trainmaster.config.automation import Automation
from trainmaster.config.base import Strict
from trainmaster.config.delivery import *  # noqa: F403 - the model is the sum of its sections
from trainmaster.config.delivery import (
    BUILTIN_GATES,
    MetricsSettings,
    Signal,
    Stage,
    Train,
    rate_interval,
    short_ranges,
)
from trainmaster.config.durations import format_duration
from trainmaster.config.notify import Notify
from trainmaster.config.repository import *  # noqa: F403
from trainmaster.config.repository import Checks, GitHub, Governance
from trainmaster.config.types import REPO_PATTERN

# --- Roles, notify, evidence, store, backends ------------------------------------------------

ACTIONS = frozenset(
    {
        "train.cut",
        "train.hotfix",
        "train.abort",
        "train.artifact",
        "train.deploy",
        "train.verify",
        "approve",
        "promote",
        "rollback",
        "rollout.pin",
        "rollout.deploy",
        "rollout.abort",
        "rollout.promote",
        "rollout.undo",
        "rollout.retry",
        "rollout.restart",
        "governance.apply",
        "preview.up",
        "preview.down",
        "preview.sweep",
        "secrets.access",
        "evidence.build",
        "evidence.publish",
        "gate.override",
        "gate.run",
        "dr.drill",
        "jobs.manage",
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


class Evidence(Strict):
    dir: str = "evidence"
    signing_key_path: str | None = None
    signing_key_env: str | None = Field(None, description="Env var with a PEM Ed25519 key.")
    trusted_keys: list[Annotated[str, StringConstraints(pattern=r"^SHA256:[0-9a-f]{64}$")]] = Field(
        default_factory=list,
        description="Fingerprints (SHA256:<hex>, as `evidence keygen` prints) of the keys "
        "`evidence verify` trusts without --public-key.",
    )


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
    env: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = Field(
        default_factory=list,
        description="Environment variables a release may see besides PATH, HOME and the locale; "
        "nothing else of trainmaster's environment (GITHUB_TOKEN included) reaches it.",
    )


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
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    roles: dict[str, Role] = Field(default_factory=dict)
    authorization: Authorization = Field(default_factory=Authorization)
    notify: Notify = Field(default_factory=Notify)
    evidence: Evidence = Field(default_factory=Evidence)
    store: Store = Field(default_factory=Store)
    backends: Backends = Field(default_factory=Backends)
    notes: Notes = Field(default_factory=Notes)
    automation: Automation = Field(default_factory=Automation)

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
        for i, stage_name in enumerate(self.automation.deploy_after_cut):
            if stage_name not in self.stages:
                where = f"automation.deploy_after_cut.{i}"
                raise ValueError(_unknown(where, stage_name, self.stages))
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
    def _notify_stages(self) -> Policy:
        for i, target in enumerate(self.notify.targets):
            for j, name in enumerate(target.stages):
                if name not in self.stages:
                    raise ValueError(_unknown(f"notify.targets.{i}.stages.{j}", name, self.stages))
        return self

    @model_validator(mode="after")
    def _rate_windows(self) -> Policy:
        scrape = self.metrics.scrape_interval
        for name, signal in self.signals.items():
            for field, found in short_ranges(signal, scrape):
                least = rate_interval(scrape, timedelta(0))
                raise ValueError(
                    f"signals.{name}.{field}: the range {found} spans fewer than 4 scrape "
                    f"intervals (metrics.scrape_interval {format_duration(scrape)}): rate() "
                    f"needs at least [{format_duration(least)}]; [$rate_interval] adapts"
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
