"""The supervisor's control API on the wire: targets, operations, plans, states and errors as
JSON, the same on both sides (the server in `server.py`, the client in `client.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from trainmaster.errors import (
    CheckFailed,
    ExitCode,
    ExternalError,
    Inconclusive,
    Refused,
    TrainmasterError,
    UsageError,
)
from trainmaster.gates.port import Series
from trainmaster.rollout.plan import Operation, Patch, Plan
from trainmaster.rollout.port import RolloutState, Target

API = "/v1"
VERBS = ("deploy", "promote", "abort", "undo", "pin", "retry", "restart")
CONFLICT = 409  # a plan made from a state that has changed since


class ErrorBody(TypedDict):
    error: str
    exit_code: int


def target_to(target: Target) -> dict[str, str]:
    return {"stage": target.stage, "namespace": target.namespace, "name": target.name}


def target_from(data: Any) -> Target:
    return Target(str(data["stage"]), str(data["namespace"]), str(data["name"]))


def operation_to(op: Operation) -> dict[str, Any]:
    return {
        "verb": op.verb,
        "image": op.image,
        "full": op.full,
        "to_revision": op.to_revision,
        "container": op.container,
        "at": op.at,
    }


def operation_from(data: Any) -> Operation:
    verb = data["verb"]
    if verb not in VERBS:
        raise UsageError(f"unknown rollout operation {verb!r}")
    revision = data.get("to_revision")
    return Operation(
        verb,
        image=data.get("image"),
        full=bool(data.get("full")),
        to_revision=int(revision) if revision is not None else None,
        container=data.get("container"),
        at=data.get("at"),
    )


def patch_to(patch: Patch) -> dict[str, Any]:
    return {"type": patch.type, "body": patch.body, "description": patch.description}


def patch_from(data: Any) -> Patch:
    if data.get("type") != "local":
        raise UsageError("the local target applies local patches only")
    return Patch("local", data["body"], description=str(data.get("description", "")))


def plan_to(plan: Plan) -> dict[str, Any]:
    return {
        "namespace": plan.namespace,
        "name": plan.name,
        "operation": operation_to(plan.operation),
        "patches": [patch_to(p) for p in plan.patches],
        "summary": plan.summary,
        "warnings": list(plan.warnings),
        "resource_version": plan.resource_version,
    }


def plan_from(data: Any) -> Plan:
    return Plan(
        namespace=str(data["namespace"]),
        name=str(data["name"]),
        operation=operation_from(data["operation"]),
        patches=tuple(patch_from(p) for p in data["patches"]),
        summary=str(data.get("summary", "")),
        warnings=tuple(str(w) for w in data.get("warnings", ())),
        resource_version=data.get("resource_version"),
    )


def state_to(state: RolloutState) -> dict[str, Any]:
    return {
        "target": target_to(state.target),
        "phase": state.phase,
        "stable": state.stable,
        "preview": state.preview,
        "revision": state.revision,
        "paused": state.paused,
        "message": state.message,
        "active_hash": state.active_hash,
        "preview_hash": state.preview_hash,
    }


def state_from(data: Any) -> RolloutState:
    return RolloutState(
        target=target_from(data["target"]),
        phase=str(data["phase"]),
        stable=data.get("stable"),
        preview=data.get("preview"),
        revision=int(data["revision"]),
        paused=bool(data["paused"]),
        message=str(data.get("message", "")),
        active_hash=_optional_text(data.get("active_hash")),
        preview_hash=_optional_text(data.get("preview_hash")),
    )


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def query_to(query: str, start: datetime, end: datetime, step: timedelta) -> dict[str, Any]:
    return {
        "query": query,
        "start": start.timestamp(),
        "end": end.timestamp(),
        "step": step.total_seconds(),
    }


def query_from(data: Any) -> tuple[str, datetime, datetime, timedelta]:
    step = float(data["step"])
    if not step > 0:
        raise ValueError("step must be positive")
    start = datetime.fromtimestamp(float(data["start"]), UTC)
    return (
        str(data["query"]),
        start,
        datetime.fromtimestamp(float(data["end"]), UTC),
        (timedelta(seconds=step)),
    )


def series_to(found: list[Series]) -> dict[str, Any]:
    # NaN (Prometheus' "no value") travels as JSON's NaN token: both ends are Python's json.
    return {"series": [{"labels": dict(s.labels), "points": list(s.points)} for s in found]}


def series_from(data: Any) -> list[Series]:
    return [
        Series(
            labels={str(k): str(v) for k, v in s["labels"].items()},
            points=tuple((float(t), float(v)) for t, v in s["points"]),
        )
        for s in data["series"]
    ]


_BY_EXIT_CODE: dict[int, type[TrainmasterError]] = {
    ExitCode.FAILED: CheckFailed,
    ExitCode.USAGE: UsageError,
    ExitCode.INCONCLUSIVE: Inconclusive,
    ExitCode.EXTERNAL: ExternalError,
    ExitCode.REFUSED: Refused,
}


def error_to(error: TrainmasterError) -> ErrorBody:
    return {"error": error.message, "exit_code": int(error.exit_code)}


def error_from(data: Any) -> TrainmasterError:
    """The supervisor's error as the same kind here: same message, same exit code."""
    kind = _BY_EXIT_CODE.get(int(data.get("exit_code", ExitCode.EXTERNAL)), ExternalError)
    return kind(f"local target: {data.get('error', 'failed')}")
