"""What a signed-in person may do from the browser or the API: approve, promote, roll back,
abort. The one place the web reaches the train: the train's use cases, the same ones the CLI
calls (authorization by the Rego policy inside them, refusals audited as `authz.refused`), with
the signed-in person as the actor.

Inputs are frozen values, bounded when built; a refusal carries every unmet rule, whether the
policy's authorization or the train's own rules said no."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainmaster.errors import UsageError
from trainmaster.train import use_cases
from trainmaster.web.settings import Site

VERBS = ("approve", "promote", "rollback", "abort")
MAX_REASON = 2000  # characters; a reason is a sentence or two, not a document


@dataclass(frozen=True)
class Request:
    """One action, as asked: who, what, on which train and stage, and why."""

    actor: str
    verb: str
    train: str
    stage: str
    reason: str
    to_digest: str = ""  # rollback: pin this digest (default: the stage's last known good)

    def __post_init__(self) -> None:
        if self.verb not in VERBS:
            raise UsageError(f"unknown action {self.verb!r}; known: {', '.join(VERBS)}")
        if len(self.reason) > MAX_REASON:
            raise UsageError(f"reason: at most {MAX_REASON} characters, got {len(self.reason)}")
        if len(self.to_digest) > 200:
            raise UsageError("to: a digest is at most 200 characters")
        if not self.train or len(self.train) > 64 or not self.train.isprintable():
            raise UsageError("train: 1 to 64 printable characters")


def act(site: Site, r: Request) -> dict[str, Any]:
    """Run the action's use case; `Refused` (with every reason) when a rule says no."""
    backends = site.backends
    if r.verb == "approve":
        done = use_cases.approve(
            backends, use_cases.ApproveInput(r.actor, r.train, r.stage, r.reason)
        )
    elif r.verb == "promote":
        done = use_cases.promote(
            backends, use_cases.PromoteInput(r.actor, r.train, r.stage, r.reason)
        )
    elif r.verb == "rollback":
        to = r.to_digest.strip() or None
        done = use_cases.rollback(
            backends, use_cases.RollbackInput(r.actor, r.stage, r.reason, to, train=r.train)
        )
    else:
        done = use_cases.abort(backends, use_cases.AbortInput(r.actor, r.train, r.reason))
    return done.as_json()
