"""Workflows whose job names are exactly the policy's required contexts (rendering is pure).

Actions are pinned to full commit SHAs with the release in a comment; each SHA was checked to be
the commit its tag points at (see docs/architecture.md). Container images run by `docker run`
are pinned to exact version tags.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainmaster.checks.pipeline import (
    ci_contexts,
    gate_assignment,
    only_flags,
    stage_jobs,
    unevaluated,
    watch_job,
)
from trainmaster.config.model import Policy
from trainmaster.errors import UsageError

TEMPLATES = Path(__file__).with_name("templates")

# action → (repository@sha, release); SHAs verified against the tags' commits.
PINS: dict[str, tuple[str, str]] = {
    "checkout": ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "setup_python": ("actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "upload_artifact": (
        "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02",
        "v4.6.2",
    ),
    "download_artifact": (
        "actions/download-artifact@fa0a91b85d4f404e444e00e005971372dc801d16",
        "v4.1.8",
    ),
    "setup_buildx": (
        "docker/setup-buildx-action@b5ca514318bd6ebac0fb2aedd5d36ec1b5c232a2",
        "v3.10.0",
    ),
    "build_push": ("docker/build-push-action@471d1dc4e07e5cdedd4c2171150001c434f0b7a4", "v6.15.0"),
    "codeql_init": (
        "github/codeql-action/init@48ab28a6f5dbc2a99bf1e0131198dd8f1df78169",
        "v3.28.0",
    ),
    "codeql_autobuild": (
        "github/codeql-action/autobuild@48ab28a6f5dbc2a99bf1e0131198dd8f1df78169",
        "v3.28.0",
    ),
    "codeql_analyze": (
        "github/codeql-action/analyze@48ab28a6f5dbc2a99bf1e0131198dd8f1df78169",
        "v3.28.0",
    ),
    "dependency_review": (
        "actions/dependency-review-action@3b139cfc5fae8b618d3eae3675e383bb1769c019",
        "v4.5.0",
    ),
    "setup_helm": ("azure/setup-helm@b9e51907a09c216f16ebe8536097933489208112", "v4.3.0"),
    "setup_terraform": (
        "hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd",
        "v3.1.2",
    ),
}
# The trainmaster action (action.yml at the root of trainmaster's repository); pin it by SHA.
ACTION_REPOSITORY = "trainmaster/trainmaster"
PINNED_ACTION = re.compile(r"^[A-Za-z0-9._-]+/[A-Za-z0-9._/-]+@[0-9a-f]{40}$")
TRIVY_IMAGE = "aquasec/trivy:0.58.1"
K6_IMAGE = "grafana/k6:0.55.0"

# A context's base name (without " (stage)") → its job template and variables.
CATALOG: dict[str, tuple[str, dict[str, Any]]] = {
    "build": ("build", {}),
    "unit-tests": ("make", {"target": "unit-test", "step": "Unit tests"}),
    "e2e-tests": ("make", {"target": "e2e-test", "step": "End-to-end tests"}),
    "migrations-dry-run": (
        "make",
        {
            "target": "migrations-dry-run",
            "step": "Migrations against the shadow database (dry run)",
            "secret_env": [("SHADOW_DB_URL", "SHADOW_DB_URL")],
        },
    ),
    "sast-codeql": ("sast-codeql", {}),
    "dependency-review": ("dependency-review", {}),
    "sbom-generate": (
        "image",
        {
            "step": "CycloneDX SBOM of the image (Trivy)",
            "trivy_args": "--format cyclonedx --output /reports/sbom.cdx.json",
            "artifact": "sbom",
        },
    ),
    "trivy-image-scan": (
        "image",
        {
            "step": "Scan the image (fail on fixable HIGH and CRITICAL)",
            "trivy_args": "--exit-code 1 --ignore-unfixed --severity HIGH,CRITICAL",
        },
    ),
    "helm-lint": ("helm", {"step": "helm lint", "command": 'helm lint "$CHART"'}),
    "helm-template": (
        "helm",
        {
            "step": "helm template (fail on a render error)",
            "command": 'helm template release "$CHART" > "$RUNNER_TEMP/rendered.yaml"',
        },
    ),
    "terraform-fmt-validate": ("terraform", {"plan": False}),
    "terraform-plan": ("terraform", {"plan": True}),
    "preview-deploy": ("preview-deploy", {}),
    "rollout-gate": ("gate", {"kind": "rollout"}),
    "smoke-tests": ("gate", {"kind": "smoke"}),
    "k6-slo": ("gate", {"kind": "k6"}),
    "slo-burn-rollback": ("gate", {"kind": "rollback"}),
}
_STAGED = re.compile(r"^(?P<base>.+) \((?P<stage>[^()]+)\)$")
STAGE_ALIASES = {"staging": "stage", "production": "prod"}


@dataclass(frozen=True)
class GeneratedFile:
    name: str  # file name inside the output directory
    text: str


@dataclass(frozen=True)
class Generation:
    files: tuple[GeneratedFile, ...]
    warnings: tuple[str, ...]


def job_id(context: str, taken: set[str]) -> str:
    """A valid, unique job id for a context: `rollout-gate (staging)` → `rollout-gate-staging`."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", context.lower()).strip("-") or "check"
    if not re.match(r"^[a-z_]", slug):
        slug = f"check-{slug}"
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


def generate(
    policy: Policy, version: str, policy_file: str = "trainmaster.yaml", action: str | None = None
) -> Generation:
    """The four workflow files for this policy (CI, staging, release train, preview cleanup).

    `action` is the trainmaster action every job installs trainmaster with, `owner/name@<sha>`
    (pinned: the action installs the code of that commit); without it, `v<version>` of
    trainmaster's repository, with a warning to pin it."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        autoescape=False,
    )
    warnings: list[str] = []
    common = _common(policy, version, policy_file, env, _action(action, version, warnings))
    ci, staged = _split(policy.checks.contexts)
    common["ci_contexts"] = ci_contexts(policy, staged)
    files = [
        GeneratedFile("ci.yml", _workflow(env, "ci.yml.j2", ci, common)),
        GeneratedFile("staging.yml", _staging(env, policy, staged, common, warnings)),
        GeneratedFile("release-train.yml", _release_train(env, policy, common, warnings)),
        GeneratedFile(
            "preview-cleanup.yml", env.get_template("preview-cleanup.yml.j2").render(common)
        ),
    ]
    return Generation(tuple(f for f in files if f.text), tuple(warnings))


def _action(action: str | None, version: str, warnings: list[str]) -> str:
    if action is None:
        warnings.append(
            f"the workflows use {ACTION_REPOSITORY}@v{version}: pin the trainmaster action to a "
            "commit SHA (--action OWNER/REPO@SHA)"
        )
        return f"{ACTION_REPOSITORY}@v{version}"
    if not PINNED_ACTION.match(action):
        raise UsageError(f"--action: {action!r} is not OWNER/REPO@<40-hex commit SHA>")
    return f"{action} # trainmaster {version}"


def _common(
    policy: Policy, version: str, policy_file: str, env: Any, action: str
) -> dict[str, Any]:
    pin = {key: f"{ref} # {release}" for key, (ref, release) in PINS.items()}
    base = {"pin": pin, "version": version, "policy_file": policy_file, "action": action}
    return {
        **base,
        "install": env.get_template("install.yml.j2").render(base).rstrip("\n"),
        "cluster": env.get_template("cluster.yml.j2").render(base).rstrip("\n"),
        "branches": json.dumps([policy.train.default_branch]),
        "image": _image(policy),
        "chart": f"charts/{policy.project.name}",
        "trivy_image": TRIVY_IMAGE,
        "k6_image": K6_IMAGE,
        "stages": list(policy.stages),
    }


def _image(policy: Policy) -> str:
    owner, _, repo = (policy.repos[0] if policy.repos else "owner/repo").partition("/")
    return policy.train.artifact.format(owner=owner.lower(), repo=repo.lower())


def _split(contexts: list[str]) -> tuple[list[str], list[str]]:
    staged = [c for c in contexts if (m := _STAGED.match(c)) and m.group("base") in CATALOG]
    return [c for c in contexts if c not in staged], staged


def _workflow(env: Any, template: str, contexts: list[str], common: dict[str, Any]) -> str:
    if not contexts:
        return ""
    taken: set[str] = set()
    ids = {c: job_id(c, taken) for c in contexts}
    build = next((c for c in contexts if c == "build"), None)
    jobs = [_job(env, c, ids[c], ids.get(build or ""), common) for c in contexts]
    return str(env.get_template(template).render(common, jobs=jobs))


def _staging(
    env: Any, policy: Policy, staged: list[str], common: dict[str, Any], warnings: list[str]
) -> str:
    """Each stage's gates split over its gate jobs, so each gate is evaluated exactly once."""
    by_stage: dict[str, list[str]] = {}
    for context in staged:
        if (m := _STAGED.match(context)) and CATALOG[m.group("base")][0] == "gate":
            stage = _stage(m.group("stage"), common["stages"])
            by_stage.setdefault(stage, []).append(str(CATALOG[m.group("base")][1]["kind"]))
    gates: dict[str, dict[str, list[str]]] = {}
    for stage, kinds in by_stage.items():
        gates[stage] = gate_assignment(policy, stage, kinds)
        if missing := unevaluated(policy, stage, gates[stage]):
            warnings.append(
                f"staging.yml evaluates no job for the {stage} gates {', '.join(missing)}: "
                "require the check that produces their input (smoke-tests, k6-slo)"
            )
    return _workflow(env, "staging.yml.j2", staged, {**common, "gates": gates})


def _job(env: Any, context: str, jid: str, build_id: str | None, common: dict[str, Any]) -> str:
    staged = _STAGED.match(context)
    base = staged.group("base") if staged and staged.group("base") in CATALOG else context
    stage = _stage(staged.group("stage") if staged else "stage", common["stages"])
    template, variables = CATALOG.get(base, ("placeholder", {}))
    values = {
        "secret_env": [],
        "artifact": "",
        **common,
        **variables,
        "id": jid,
        "name": json.dumps(context),
        "plain": re.sub(r"[^A-Za-z0-9 ()._-]", "", context),
        "stage": stage,
        "build_id": build_id or "",
        "build_name": "build",
    }
    if template == "gate":
        values.update(_gate_values(env, common, stage, str(variables["kind"])))
    return str(env.get_template(f"jobs/{template}.yml.j2").render(values)).rstrip("\n") + "\n"


def _gate_values(env: Any, common: dict[str, Any], stage: str, kind: str) -> dict[str, Any]:
    gates = common.get("gates", {}).get(stage, {}).get(kind, [])
    ci = ""
    if "ci-checks" in gates:
        sha = "${{ github.event.pull_request.head.sha || github.sha }}"
        ci = str(env.get_template("ci_checks.yml.j2").render(common, sha=sha)).rstrip("\n")
    return {"gates": gates, "only": only_flags(gates), "ci_checks": ci}


def _stage(label: str, stages: list[str]) -> str:
    """The policy stage a context's `(label)` names: itself, or `staging` → `stage`."""
    if label in stages or not stages:
        return label
    alias = STAGE_ALIASES.get(label, label)
    return alias if alias in stages else label


def _release_train(env: Any, policy: Policy, common: dict[str, Any], warnings: list[str]) -> str:
    cadence = policy.train.cadence
    if cadence.timezone != "UTC":
        warnings.append(
            f"GitHub reads schedule crons in UTC; the policy's cron {cadence.cron!r} is in "
            f"{cadence.timezone}: adjust release-train.yml (trainmaster train cut still checks "
            "the policy's calendar)"
        )
    ci_step = env.get_template("ci_checks.yml.j2")

    def render_ci_checks() -> str:
        sha = "${{ needs.cut.outputs.commit }}"
        return str(ci_step.render(common, sha=sha)).rstrip("\n")

    path = stage_jobs(policy, render_ci_checks)
    return str(
        env.get_template("release-train.yml.j2").render(
            common,
            cron=cadence.cron,
            cadence=f"the policy's cadence ({cadence.timezone})",
            path=path,
            watch=watch_job(policy, path),
        )
    )
