"""What an operation does to the local blue/green pair, decided from its current state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainmaster.errors import UsageError
from trainmaster.rollout.argo import require_digest
from trainmaster.rollout.plan import Operation, Patch

if TYPE_CHECKING:
    from trainmaster.adapters.local.cluster import Slot

Patches = tuple[tuple[Patch, ...], str]


def _start(image: str) -> Patch:
    return Patch("local", {"start": {"image": image}}, description="start the idle colour")


def _switch(to: str) -> Patch:
    return Patch("local", {"switch": {"to": to}}, description="health check, then switch")


def local_patches(slot: Slot | None, op: Operation, auto: bool) -> Patches:
    if op.verb in ("deploy", "pin"):
        return _set_image(slot, op, auto)
    steer = {"promote": _promote, "abort": _abort, "retry": _retry, "restart": _restart}
    if op.verb in steer:
        return steer[op.verb](slot)
    return _undo(slot, op)


def _promote(slot: Slot | None) -> Patches:
    pending = slot.pending if slot else None
    if pending is None:
        return (), "nothing awaits promotion"
    return (_switch("pending"),), f"promote {pending.image}"


def _abort(slot: Slot | None) -> Patches:
    pending = slot.pending if slot else None
    if pending is None:
        return (), "nothing to abort"
    return (Patch("local", {"stop": "pending"}),), f"abort {pending.image}"


def _retry(slot: Slot | None) -> Patches:
    """The aborted release starts again as the preview (Argo: status.abort false)."""
    if slot is None or not slot.aborted or not slot.history:
        return (), "not aborted: nothing to retry"
    return (_start(slot.history[-1]),), f"retry {slot.history[-1]} (awaiting promotion)"


def _restart(slot: Slot | None) -> Patches:
    """A fresh process of the serving release, switched to once healthy: the local form of
    Argo's restartAt (pods replaced, the release unchanged)."""
    if slot is None or slot.active is None:
        raise UsageError("nothing deployed: nothing to restart")
    if slot.pending is not None:
        raise UsageError("a preview awaits promotion: promote or abort it before a restart")
    image = slot.active.image
    return (_start(image), _switch("pending")), f"restart {image}: a fresh process, then switch"


def _set_image(slot: Slot | None, op: Operation, auto: bool) -> Patches:
    image = require_digest(op.image or "")
    active = slot.active if slot else None
    previous = slot.previous if slot else None
    if active is not None and active.image == image and (slot is None or slot.pending is None):
        return (), f"already serving {image}"
    if op.verb == "pin" and previous is not None and previous.image == image:
        return (_switch("previous"),), f"pin {image}: switch back to the warm colour"
    # A pin is a rollback: it goes live at once; a deploy waits unless the stage auto-promotes.
    go_live = auto or op.verb == "pin" or active is None
    patches = (_start(image), _switch("pending")) if go_live else (_start(image),)
    return patches, f"{op.verb} {image}" + ("" if go_live else " (awaiting promotion)")


def _undo(slot: Slot | None, op: Operation) -> Patches:
    if slot is None or slot.active is None:
        raise UsageError("nothing deployed: no previous revision to go back to")
    history = slot.history
    if op.to_revision:
        if not 0 < op.to_revision <= len(history):
            raise UsageError(f"unable to find revision {op.to_revision} in history")
        image = history[op.to_revision - 1]
    elif slot.previous is not None:
        image = slot.previous.image
    else:
        older = [i for i in reversed(history) if i != slot.active.image]
        if not older:
            raise UsageError("no previous revision found")
        image = older[0]
    if image == slot.active.image:
        return (), "already at that revision"
    if slot.previous is not None and slot.previous.image == image:
        return (_switch("previous"),), f"undo to {image}: switch back to the warm colour"
    return (_start(image), _switch("pending")), f"undo to {image}: start it, then switch"
