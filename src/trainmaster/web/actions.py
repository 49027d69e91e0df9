"""What a signed-in person may do from the browser or the API: approve, promote, roll back,
abort. The one place the web reaches the train: the same authorization (Rego, refusals audited
as `authz.refused`) and the same train service as the CLI, with the person as the actor.

Inputs are frozen values built (and bounded) before any work; a refusal carries every unmet
rule, whether the policy's authorization or the train's own rules said no."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainmaster.errors import Refused, UsageError
from trainmaster.web.settings import Site

if TYPE_CHECKING:
    from trainmaster.policy.port import Authorizer
    from trainmaster.train.engine import Outcome
    from trainmaster.train.service import TrainService

VERBS = ("approve", "promote", "rollback", "abort")
MAX_REASON = 2000  # characters; a reason is a sentence or two, not a document
# regopy's interpreter holds its input between calls and silences fd 1 while it runs: one
# decision at a time per process.
_DECIDING = threading.Lock()


class ActionRefused(Refused):
    """Refused, with every reason as its own line (the form lists them)."""

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__("refused: " + "; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Request:
    """One action, as asked: who, what, on which train and stage, and why."""

    actor: str
    verb: str
    train: str
    stage: str
    reason: str

    def __post_init__(self) -> None:
        if self.verb not in VERBS:
            raise UsageError(f"unknown action {self.verb!r}; known: {', '.join(VERBS)}")
        if len(self.reason) > MAX_REASON:
            raise UsageError(f"reason: at most {MAX_REASON} characters, got {len(self.reason)}")
        if not self.train or len(self.train) > 64 or not self.train.isprintable():
            raise UsageError("train: 1 to 64 printable characters")


@dataclass(frozen=True)
class Done:
    train: str
    status: str
    stages: dict[str, str]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "train": self.train,
            "status": self.status,
            "stages": self.stages,
            "message": self.message,
        }


def act(site: Site, request: Request) -> Done:
    """Authorize, then act through the train service. `ActionRefused` lists every reason."""
    _authorize(site, request)
    service = _service(site, request.actor)
    try:
        outcome = _run(service, request)
    except Refused as e:
        raise ActionRefused(_reasons(e.message)) from e
    return Done(
        outcome.state.id,
        outcome.state.status.value,
        {s.name: s.status.value for s in outcome.state.stages},
        outcome.message or f"{request.verb}: done",
    )


def _run(service: TrainService, r: Request) -> Outcome:
    if r.verb == "approve":
        return service.approve(r.train, r.stage, r.actor, r.reason)
    if r.verb == "promote":
        return service.promote(r.train, r.stage, r.actor, r.reason)
    if r.verb == "rollback":
        return service.rollback(r.stage, r.actor, r.reason, None, train_id=r.train)
    return service.abort(r.train, r.actor, r.reason)


def _authorize(site: Site, r: Request) -> None:
    from trainmaster.policy.enforce import authorize
    from trainmaster.policy.model import AccessRequest

    action = "train.abort" if r.verb == "abort" else r.verb
    stage = None if r.verb == "abort" else r.stage
    access = AccessRequest(
        r.actor, action, f"train/{r.train}", r.reason, stage, _attributes(site, r.train)
    )
    with _DECIDING:
        authorizer = _authorizer(site)
        decision = authorizer.decide(access)
        if decision.allowed:
            return
        with contextlib.suppress(Refused):
            authorize(authorizer, site.store, access)  # records the refusal, as the CLI does
    raise ActionRefused(decision.reasons)


def _attributes(site: Site, train: str) -> dict[str, Any]:
    from trainmaster.store.models import TrainRow

    with site.store.transaction() as session:
        row = session.get(TrainRow, train)
        if row is None:
            return {"train": train}
        return {"train": row.id, "author": row.author, "kind": row.kind}


def _authorizer(site: Site) -> Authorizer:
    from trainmaster.policy.wiring import authorizer_for

    found = site.cache.get("authorizer")
    if found is None:
        found = site.cache["authorizer"] = authorizer_for(site.policy, site.base_dir)
    return found  # type: ignore[return-value]


def _service(site: Site, actor: str) -> TrainService:
    from trainmaster.train.wiring import build_service

    return build_service(
        site.policy, site.store, site.repo_path, actor=actor, base_dir=site.base_dir
    )


def _reasons(message: str) -> tuple[str, ...]:
    """The train's rules join their reasons with "; " after a lead-in ending in ": "."""
    _, colon, rest = message.partition(": ")
    body = rest if colon else message
    return tuple(part.strip() for part in body.split("; ") if part.strip())
