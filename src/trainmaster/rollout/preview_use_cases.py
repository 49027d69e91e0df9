"""The preview environment use cases: up, down and sweep, one namespace per pull request.

Like every use case: a frozen input with the actor and the reason, the policy asked before the
first effect (a dry run shows the plan and asks no one), each change audited, a frozen result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainmaster.errors import UsageError
from trainmaster.rollout.use_cases import backend_of

if TYPE_CHECKING:
    from trainmaster.ports import Backends
    from trainmaster.rollout.preview import SweepItem


@dataclass(frozen=True)
class PreviewUpInput:
    actor: str
    pr: int
    image: str | None = None  # the local target runs this digest; Kubernetes: the deploy job
    reason: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class PreviewUpResult:
    namespace: str
    pr: int
    manifest: dict[str, Any]
    result: str = ""  # created | updated | … (empty for a dry run)
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        if self.dry_run:
            return {"namespace": self.namespace, "manifest": self.manifest, "dry_run": True}
        return {
            "namespace": self.namespace,
            "pr": self.pr,
            "result": self.result,
            "manifest": self.manifest,
        }


@dataclass(frozen=True)
class PreviewDownInput:
    actor: str
    pr: int
    reason: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class PreviewDownResult:
    namespace: str
    deleted: bool
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        if self.dry_run:
            return {"namespace": self.namespace, "delete": True, "dry_run": True}
        return {"namespace": self.namespace, "deleted": self.deleted}


@dataclass(frozen=True)
class SweepInput:
    actor: str
    repo: str | None = None  # OWNER/REPO of the pull requests (default: the policy's first)
    reason: str = "TTL sweep"
    dry_run: bool = False


@dataclass(frozen=True)
class SweepResult:
    plan: tuple[SweepItem, ...]
    deleted: tuple[str, ...]
    dry_run: bool
    pull_requests_checked: bool  # False: no forge or repository, only expiry counted

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": [_item(i) for i in self.plan],
            "deleted": list(self.deleted),
            "dry_run": self.dry_run,
        }


def preview_up(backends: Backends, request: PreviewUpInput) -> PreviewUpResult:
    """Create (or refresh) the preview namespace of a pull request, labelled, with its expiry."""
    from trainmaster.acting import ask, recorder
    from trainmaster.rollout.argo import require_digest
    from trainmaster.rollout.previews import plan_up

    plan = plan_up(backends.policy, request.pr, backends.clock())
    if request.dry_run:
        return PreviewUpResult(plan.namespace, request.pr, plan.manifest, dry_run=True)
    ask(backends, request.actor, "preview.up", plan.namespace, request.reason)
    host = backend_of(backends)
    if request.image is not None and host.backend != "local":
        raise UsageError(
            "--image runs a preview on the local target only; on Kubernetes the "
            "preview-deploy job applies the manifests into the namespace"
        )
    image = require_digest(request.image) if request.image is not None else None
    result = (
        host.preview_up(plan.manifest, image=image) if image else host.preview_up(plan.manifest)
    )
    done = PreviewUpResult(plan.namespace, request.pr, plan.manifest, result)
    recorder(backends, request.actor, request.reason)("preview.up", plan.namespace, done.as_json())
    return done


def preview_down(backends: Backends, request: PreviewDownInput) -> PreviewDownResult:
    """Delete the preview namespace of a pull request (only one trainmaster manages)."""
    from trainmaster.acting import ask, recorder
    from trainmaster.rollout.previews import namespace_for

    namespace = namespace_for(backends.policy, request.pr)
    if request.dry_run:
        return PreviewDownResult(namespace, deleted=False, dry_run=True)
    ask(backends, request.actor, "preview.down", namespace, request.reason)
    deleted = backend_of(backends).preview_down(namespace)
    if deleted:
        payload = {"namespace": namespace, "pr": request.pr}
        recorder(backends, request.actor, request.reason)("preview.down", namespace, payload)
    return PreviewDownResult(namespace, deleted)


def preview_sweep(backends: Backends, request: SweepInput) -> SweepResult:
    """Delete expired preview namespaces and those whose pull request is closed."""
    from trainmaster.acting import ask, recorder
    from trainmaster.rollout.previews import plan_sweep

    if not request.dry_run:
        ask(backends, request.actor, "preview.sweep", "previews", request.reason)
    host, forge = backend_of(backends), backends.forge()
    repo = request.repo or (backends.policy.repos[0] if backends.policy.repos else None)
    chosen = tuple(plan_sweep(host, forge, repo, backends.clock()))
    record = recorder(backends, request.actor, request.reason)
    deleted = []
    for item in () if request.dry_run else chosen:
        if host.preview_down(item.namespace):
            deleted.append(item.namespace)
            record("preview.sweep", item.namespace, _item(item))
    checked = forge is not None and bool(repo)
    return SweepResult(chosen, tuple(deleted), request.dry_run, checked)


def _item(item: SweepItem) -> dict[str, Any]:
    return {"namespace": item.namespace, "pr": item.pr, "reason": item.reason}
