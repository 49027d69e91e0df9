"""What the `checks` commands do: read the files, call the pure core, write generated files."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.checks.contexts import Check, Prediction, predict
from trainmaster.checks.files import read_workflows
from trainmaster.checks.findings import Finding
from trainmaster.checks.lint import Required, lint
from trainmaster.checks.triggers import Verdict, reach
from trainmaster.checks.workflow import Workflow
from trainmaster.config.model import GITHUB_ACTIONS_APP_ID, Policy

if TYPE_CHECKING:
    from trainmaster.checks.generate import GeneratedFile


@dataclass(frozen=True)
class Analysis:
    workflows: dict[str, Workflow]
    prediction: Prediction
    findings: tuple[Finding, ...]  # from reading the files and walking reusable calls
    verdicts: dict[str, Verdict]  # per workflow path: how it reaches a pull request

    def pull_request_checks(self) -> list[Check]:
        """The checks a pull request to the default branch gets (some only when paths match)."""
        return [
            c
            for c in self.prediction.checks
            if self.verdicts[c.workflow].reach in ("runs", "filtered")
        ]


def analyse(directory: Path, default_branch: str) -> Analysis:
    workflows, read = read_workflows(directory)
    prediction = predict(workflows, default_branch)
    verdicts = {w.path: reach(w, default_branch) for w in workflows.values()}
    return Analysis(workflows, prediction, (*read, *prediction.findings), verdicts)


def required_checks(policy: Policy, policy_path: Path) -> list[Required]:
    """The policy's required contexts with the line each is written on."""
    from trainmaster.config.yamlsource import YamlError, load_yaml

    file = str(policy_path)
    try:
        _, source = load_yaml(policy_path.read_text(encoding="utf-8"), file)
    except (OSError, UnicodeDecodeError, YamlError):
        source = None
    lines = [
        source.locate(("checks", "required", i)).line if source else 1
        for i in range(len(policy.checks.required))
    ]
    return [Required(c, file, line) for c, line in zip(policy.checks.contexts, lines, strict=True)]


def lint_repository(
    directory: Path, policy: Policy, policy_path: Path
) -> tuple[Analysis, list[Finding]]:
    analysis = analyse(directory, policy.train.default_branch)
    required = required_checks(policy, policy_path)
    rules = policy.governance.default_branch.required_checks
    actions_only = rules is not None and rules.app_id == GITHUB_ACTIONS_APP_ID
    found = lint(
        required,
        analysis.prediction,
        analysis.workflows,
        policy.train.default_branch,
        actions_only=actions_only,
    )
    return analysis, sorted([*analysis.findings, *found], key=Finding.sort_key)


@dataclass(frozen=True)
class Change:
    file: Path
    status: str  # "created", "unchanged", "differs", "overwritten"
    diff: str


def write_generated(
    policy: Policy,
    version: str,
    out: Path,
    policy_file: str,
    *,
    force: bool,
    dry_run: bool,
    action: str | None = None,
) -> tuple[list[Change], tuple[str, ...]]:
    """Write each generated workflow unless it would overwrite a different file without force."""
    from trainmaster.checks.generate import generate

    generation = generate(policy, version, policy_file, action=action)
    changes = [_change(out, f, force=force, dry_run=dry_run) for f in generation.files]
    return changes, generation.warnings


def _change(out: Path, generated: GeneratedFile, *, force: bool, dry_run: bool) -> Change:
    target = out / generated.name
    old = target.read_text(encoding="utf-8") if target.exists() else None
    if old == generated.text:
        return Change(target, "unchanged", "")
    diff = "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            generated.text.splitlines(keepends=True),
            fromfile=f"{target} (current)" if old is not None else "/dev/null",
            tofile=f"{target} (generated)",
        )
    )
    if old is not None and not force:
        return Change(target, "differs", diff)
    if not dry_run:
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(generated.text, encoding="utf-8")
    return Change(target, "overwritten" if old is not None else "created", diff)
