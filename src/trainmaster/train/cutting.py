"""Planning a cut (weekly train) or a hotfix: read git, decide version and effects, change nothing.

The plan is what `--dry-run` prints and what the service records as intents before applying.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trainmaster.config.calendar import zone
from trainmaster.config.model import Policy, VersionScheme
from trainmaster.errors import Refused, UsageError
from trainmaster.git import Git
from trainmaster.notes.commits import Change, parse_change
from trainmaster.train.rules import HOTFIX, SCHEDULED
from trainmaster.train.schedule import freeze_at
from trainmaster.train.version import (
    bump_for,
    latest_release,
    next_calver,
    next_patch,
    next_semver,
    tag_glob,
    version_of_tag,
)


@dataclass(frozen=True)
class PlannedEffect:
    """One effect a cut will apply: `git.branch`, `git.tag`, `git.push`, `forge.release`,
    `forge.pull_request`, with its parameters (recorded as an intent before it runs)."""

    kind: str
    params: Mapping[str, Any]

    def with_params(self, **changed: Any) -> PlannedEffect:
        return PlannedEffect(self.kind, {**self.params, **changed})


class CutRefused(UsageError):
    """A cut that must not happen; nothing was changed (exit 2, as the issue specifies)."""


@dataclass(frozen=True)
class CutPlan:
    kind: str
    version: str
    tag: str
    branch: str
    sha: str
    previous_tag: str | None
    changes: tuple[Change, ...]
    effects: tuple[PlannedEffect, ...]
    skipped: tuple[str, ...] = ()
    freeze: str | None = None
    override_reason: str | None = None
    picks: tuple[str, ...] = ()
    notes: str = field(default="", repr=False)

    @property
    def train_id(self) -> str:
        return self.tag

    def as_dict(self) -> dict[str, Any]:
        return {
            "train": self.train_id,
            "kind": self.kind,
            "version": self.version,
            "tag": self.tag,
            "branch": self.branch,
            "commit": self.sha,
            "previous_tag": self.previous_tag,
            "commits": len(self.changes),
            "picks": list(self.picks),
            "freeze": self.freeze,
            "override_reason": self.override_reason,
            "effects": [{"kind": e.kind, **_brief(dict(e.params))} for e in self.effects],
            "skipped": list(self.skipped),
        }


def _brief(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if k != "body" else f"<{len(v)} characters of notes>") for k, v in params.items()}


def read_changes(git: Git, revisions: Sequence[str]) -> list[Change]:
    return [
        parse_change(c.sha, c.message, author=c.author, email=c.email, date=c.date)
        for c in git.log(revisions)
    ]


def release_tip(git: Git, policy: Policy) -> str:
    tip = git.resolve(f"refs/heads/{policy.train.default_branch}") or git.resolve("HEAD")
    if tip is None:
        raise CutRefused("the repository has no commits to release")
    return tip


def previous_release(git: Git, policy: Policy, tip: str) -> tuple[str, str] | None:
    pattern = policy.train.tag
    return latest_release(git.tags(tag_glob(pattern), merged_into=tip), pattern)


@dataclass(frozen=True)
class Draft:
    """What a cut at `now` would ship, before any refusal is considered."""

    tip: str
    previous: tuple[str, str] | None
    changes: tuple[Change, ...]
    version: str
    tag: str
    branch: str


def draft_cut(policy: Policy, git: Git, now: datetime) -> Draft:
    train = policy.train
    tip = release_tip(git, policy)
    previous = previous_release(git, policy, tip)
    changes = read_changes(git, [f"{previous[0]}..{tip}" if previous else tip])
    if train.versioning.scheme is VersionScheme.CALVER:
        existing = [version_of_tag(t, train.tag) or "" for t in git.tags(tag_glob(train.tag))]
        today = now.astimezone(zone(train.cadence.timezone)).date()
        version = next_calver(train.versioning.calver_format, today, existing)
    else:
        version = next_semver(
            previous[1] if previous else None, bump_for(changes), train.versioning.initial
        )
    return Draft(
        tip=tip,
        previous=previous,
        changes=tuple(changes),
        version=version,
        tag=train.tag.format(version=version),
        branch=train.release_branch.format(version=version),
    )


def cut_refusals(
    policy: Policy, git: Git, draft: Draft, now: datetime, override_reason: str | None
) -> list[str]:
    """Every reason the cut must not happen (empty: go)."""
    found = []
    if git.is_dirty():
        found.append("the working tree has uncommitted changes; commit or stash them first")
    if not draft.changes:
        found.append(f"no new commits since {draft.previous[0] if draft.previous else 'the start'}")
    if git.tag_exists(draft.tag):
        found.append(f"tag {draft.tag} already exists")
    if git.branch_exists(draft.branch):
        found.append(f"branch {draft.branch} already exists")
    frozen = freeze_at(policy.train, now)
    if frozen and not (override_reason or "").strip():
        found.append(
            f"inside the freeze window {frozen.name}: {frozen.reason} (until "
            f"{frozen.end.isoformat()}); cut with --override-reason '<why>' to go anyway"
        )
    return found


def plan_cut(
    policy: Policy,
    git: Git,
    *,
    now: datetime,
    override_reason: str | None = None,
    forge_enabled: bool = True,
    notes: str = "",
) -> CutPlan:
    """Refuses (CutRefused) a dirty tree, no new commits, an existing tag or branch, and a freeze
    window without an override reason."""
    git.check_repository()
    draft = draft_cut(policy, git, now)
    refusals = cut_refusals(policy, git, draft, now, override_reason)
    if refusals:
        raise CutRefused("; ".join(refusals))
    frozen = freeze_at(policy.train, now)
    freeze = f"{frozen.name}: {frozen.reason}" if frozen else None
    effects, skipped = _effects(
        policy, git, draft.tag, draft.branch, draft.tip, draft.version, notes, forge_enabled
    )
    return CutPlan(
        kind=SCHEDULED,
        version=draft.version,
        tag=draft.tag,
        branch=draft.branch,
        sha=draft.tip,
        previous_tag=draft.previous[0] if draft.previous else None,
        changes=draft.changes,
        effects=tuple(effects),
        skipped=tuple(skipped),
        freeze=freeze,
        override_reason=override_reason if freeze else None,
        notes=notes,
    )


def plan_hotfix(
    policy: Policy,
    git: Git,
    from_tag: str,
    picks: Sequence[str],
    *,
    forge_enabled: bool = True,
) -> CutPlan:
    """Branch from a released tag with `picks` cherry-picked (built in a throwaway worktree,
    so a conflict changes nothing), a patch version, and a back-merge PR."""
    git.check_repository()
    train = policy.train
    if not train.hotfix.enabled:
        raise Refused("the hotfix lane is disabled in the policy (train.hotfix.enabled)")
    base_version = version_of_tag(from_tag, train.tag)
    base = git.resolve(f"refs/tags/{from_tag}") if base_version else None
    if base_version is None or base is None:
        raise UsageError(f"--from {from_tag!r} is not a release tag in this repository")
    if not picks:
        raise UsageError("a hotfix needs at least one --pick SHA")
    resolved = git.resolve_many(list(picks))
    missing = [p for p, sha in resolved.items() if sha is None]
    if missing:
        raise UsageError(f"--pick: no such commit {', '.join(missing)}")
    shas = [str(resolved[p]) for p in picks]
    version = next_patch(base_version, train.versioning.scheme.value)
    tag = train.tag.format(version=version)
    branch = train.hotfix.branch.format(version=version)
    _refuse_existing(git, tag, branch, hint=f"; hotfix from {tag} instead")
    built = git.cherry_pick_onto(base, shas)
    changes = read_changes(git, [f"{base}..{built}"])
    effects, skipped = _effects(policy, git, tag, branch, built, version, "", forge_enabled)
    if forge_enabled:
        effects.append(
            PlannedEffect(
                "forge.pull_request",
                {
                    "head": branch,
                    "base": train.default_branch,
                    "title": f"Back-merge hotfix {tag} into {train.default_branch}",
                    "body": f"Hotfix {tag} from {from_tag}: " + ", ".join(s[:12] for s in shas),
                },
            )
        )
    return CutPlan(
        kind=HOTFIX,
        version=version,
        tag=tag,
        branch=branch,
        sha=built,
        previous_tag=from_tag,
        changes=tuple(changes),
        effects=tuple(effects),
        skipped=tuple(skipped),
        picks=tuple(shas),
    )


def _refuse_existing(git: Git, tag: str, branch: str, hint: str = "") -> None:
    if git.tag_exists(tag):
        raise CutRefused(f"tag {tag} already exists{hint}")
    if git.branch_exists(branch):
        raise CutRefused(f"branch {branch} already exists{hint}")


def _effects(
    policy: Policy,
    git: Git,
    tag: str,
    branch: str,
    sha: str,
    version: str,
    notes: str,
    forge_enabled: bool,
) -> tuple[list[PlannedEffect], list[str]]:
    message = f"{policy.project.name} {version}"
    effects = [
        PlannedEffect("git.branch", {"name": branch, "sha": sha}),
        PlannedEffect("git.tag", {"name": tag, "sha": sha, "message": message}),
    ]
    skipped: list[str] = []
    if git.has_remote("origin"):
        refs = [f"refs/heads/{branch}", f"refs/tags/{tag}"]
        effects.append(PlannedEffect("git.push", {"refs": refs}))
    else:
        skipped.append("git push: the repository has no origin remote")
    if forge_enabled:
        release = {"tag": tag, "name": message, "body": notes, "target": sha}
        effects.append(PlannedEffect("forge.release", release))
    else:
        skipped.append("forge: backends.forge is none — release draft and pull requests skipped")
    return effects, skipped
