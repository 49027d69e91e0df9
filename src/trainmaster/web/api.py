"""The JSON API under /api/v1: what the pages show and do, for automation (Bearer personal
tokens) and scripts. Described at /api/openapi.json; errors are problem details."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from trainmaster.web import actions
from trainmaster.web.audit_view import MAX_PAGE, PAGE, audit_view
from trainmaster.web.auth import api_person, site_of
from trainmaster.web.board import board
from trainmaster.web.people import Person
from trainmaster.web.problems import MEDIA_TYPE, Problem
from trainmaster.web.train_view import train_view

PROBLEM = {"description": "Problem details (RFC 9457)", "content": {MEDIA_TYPE: {}}}
router = APIRouter(
    prefix="/api",
    dependencies=[Depends(api_person)],
    responses={401: PROBLEM, 403: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
Caller = Annotated[Person, Depends(api_person)]


class ActionBody(BaseModel):
    stage: str = Field("", max_length=64, description="Stage (approve, promote, rollback).")
    reason: str = Field(..., max_length=actions.MAX_REASON, description="Why (audited).")
    to_digest: str = Field(
        "", max_length=200, description="Rollback: the digest to pin (default: last known good)."
    )


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> dict[str, Any]:
    """This API's OpenAPI document (at /api/openapi.json), for a signed-in person or a token."""
    document: dict[str, Any] = request.app.openapi()
    return document


@router.get("/v1/me")
def me(person: Caller) -> dict[str, Any]:
    return {"login": person.login, "roles": list(person.roles), "via": person.via}


@router.get("/v1/board")
def get_board(request: Request) -> dict[str, Any]:
    site = site_of(request)
    return board(site.policy, site.store, site.now())


@router.get("/v1/trains/{train}")
def get_train(request: Request, train: str) -> dict[str, Any]:
    return train_view(site_of(request), train)


@router.get(
    "/v1/trains/{train}/evidence",
    response_class=FileResponse,
    responses={200: {"content": {"application/gzip": {}}}, 404: PROBLEM},
)
def get_evidence(request: Request, train: str) -> FileResponse:
    """The train's evidence bundle (.tar.gz); `GET /v1/trains/{train}` says if it verifies."""
    from trainmaster.web.train_view import bundle_path

    path = bundle_path(site_of(request), train)
    if not path.is_file():
        raise Problem(404, "not found", f"train {train} has no evidence bundle yet")
    return FileResponse(path, media_type="application/gzip", filename=path.name)


@router.get("/v1/stages/{stage}/signals")
def get_signals(request: Request, stage: str) -> dict[str, Any]:
    from trainmaster.web.dashboard import dashboard

    site = site_of(request)
    if site.metrics is None:
        raise Problem(503, "unavailable", "no metrics backend is configured")
    return dashboard(site.policy, site.metrics(), stage, site.now())


@router.get("/v1/audit")
def get_audit(
    request: Request,
    before: int | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
) -> dict[str, Any]:
    return audit_view(site_of(request).store, before=before, limit=limit)


@router.get("/v1/previews")
def get_previews(request: Request) -> dict[str, Any]:
    from trainmaster.web.previews import previews

    return previews(site_of(request))


@router.post("/v1/trains/{train}/approve")
def approve(request: Request, person: Caller, train: str, body: ActionBody) -> dict[str, Any]:
    return _act(request, person, "approve", train, body)


@router.post("/v1/trains/{train}/promote")
def promote(request: Request, person: Caller, train: str, body: ActionBody) -> dict[str, Any]:
    return _act(request, person, "promote", train, body)


@router.post("/v1/trains/{train}/rollback")
def rollback(request: Request, person: Caller, train: str, body: ActionBody) -> dict[str, Any]:
    return _act(request, person, "rollback", train, body)


@router.post("/v1/trains/{train}/abort")
def abort(request: Request, person: Caller, train: str, body: ActionBody) -> dict[str, Any]:
    return _act(request, person, "abort", train, body)


class WatchAbortBody(BaseModel):
    key: str = Field(..., max_length=512, description="The watch (from GET /api/v1/watches).")
    reason: str = Field(..., max_length=actions.MAX_REASON, description="Why (audited).")


@router.get("/v1/watches")
def get_watches(request: Request) -> list[dict[str, Any]]:
    from trainmaster.web.watches import running_watches

    return running_watches(site_of(request))


@router.post("/v1/watches/abort")
def abort_watch(request: Request, person: Caller, body: WatchAbortBody) -> dict[str, Any]:
    from trainmaster.web.watches import abort_watch as abort

    return abort(site_of(request), person.login, body.key, body.reason.strip())


def _act(
    request: Request, person: Person, verb: str, train: str, body: ActionBody
) -> dict[str, Any]:
    ask = actions.Request(
        person.login, verb, train, body.stage, body.reason.strip(), body.to_digest
    )
    return actions.act(site_of(request), ask)
