"""The pages: board, train, dashboard, audit, previews; and the action forms. Each route reads
through a view module or acts through `actions`, then renders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from trainmaster.errors import Refused
from trainmaster.web import actions
from trainmaster.web.audit_view import audit_view, latest_seq
from trainmaster.web.auth import check_csrf, page_session, site_of
from trainmaster.web.board import board
from trainmaster.web.problems import Problem
from trainmaster.web.render import render
from trainmaster.web.session import Session
from trainmaster.web.train_view import bundle_path, train_view

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_session)])
Signed = Annotated[Session, Depends(page_session)]


@router.get("/", response_class=HTMLResponse)
def board_page(request: Request, done: str = "") -> HTMLResponse:
    return _board(request, done=done == "watch")


def _board(
    request: Request, *, done: bool = False, refusal: dict[str, Any] | None = None
) -> HTMLResponse:
    from trainmaster.web.watches import running_watches

    site = site_of(request)
    context = {
        "title": "Board",
        "board": board(site.policy, site.store, site.now()),
        "watches": running_watches(site),
        "done": "abort the watch" if done else "",
        "refusal": refusal,
        **_live(request),
    }
    return render(request, "board.html", context, status=403 if refusal else 200)


@router.get("/trains/{train}", response_class=HTMLResponse)
def train_page(request: Request, train: str, done: str = "") -> HTMLResponse:
    return _train(request, train, done=done)


def _train(
    request: Request, train: str, *, done: str = "", refusal: dict[str, Any] | None = None
) -> HTMLResponse:
    site = site_of(request)
    data = train_view(site, train)
    context = {
        "title": f"Train {train}",
        "train": data,
        "done": done if done in actions.VERBS else "",
        "refusal": refusal,
        "min_reason": site.policy.authorization.reason_min_length,
        "seq": data["seq"],
    }
    return render(request, "train.html", context, status=403 if refusal else 200)


@router.post("/trains/{train}/{verb}", response_class=HTMLResponse)
def act(
    request: Request,
    session: Signed,
    train: str,
    verb: str,
    csrf: Annotated[str, Form()] = "",
    stage: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=actions.MAX_REASON)] = "",
    to: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(session, csrf)
    if verb not in actions.VERBS:
        raise Problem(404, "not found", f"no action {verb!r}")
    ask = actions.Request(session.person.login, verb, train, stage, reason.strip(), to)
    try:
        actions.act(site_of(request), ask)
    except Refused as e:
        reasons = [r.as_json() for r in e.reasons]
        refusal = {"verb": verb, "stage": stage, "reasons": reasons, "reason": reason}
        return _train(request, train, refusal=refusal)
    return RedirectResponse(f"/trains/{train}?done={verb}", 303)


@router.post("/watches/abort", response_class=HTMLResponse)
def abort_watch(
    request: Request,
    session: Signed,
    csrf: Annotated[str, Form()] = "",
    key: Annotated[str, Form(max_length=512)] = "",
    reason: Annotated[str, Form(max_length=actions.MAX_REASON)] = "",
) -> Response:
    from trainmaster.web.watches import abort_watch as abort

    check_csrf(session, csrf)
    try:
        abort(site_of(request), session.person.login, key, reason.strip())
    except Refused as e:
        refusal = {
            "verb": "abort the watch",
            "stage": key,
            "reasons": [r.as_json() for r in e.reasons],
        }
        return _board(request, refusal=refusal)
    return RedirectResponse("/?done=watch", 303)


@router.get("/trains/{train}/evidence")
def evidence(request: Request, train: str) -> Response:
    path = bundle_path(site_of(request), train)
    if not path.is_file():
        raise Problem(404, "not found", f"train {train} has no evidence bundle yet")
    return FileResponse(path, media_type="application/gzip", filename=path.name)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, stage: str = "") -> HTMLResponse:
    from trainmaster.train.rules import train_path
    from trainmaster.web.dashboard import dashboard

    site = site_of(request)
    stages = train_path(site.policy)
    chosen = stage or (stages[-1] if stages else "")
    if site.metrics is None:
        data: dict[str, Any] = {"stage": chosen, "service": "", "panels": [], "unavailable": True}
    else:
        data = dashboard(site.policy, site.metrics(), chosen, site.now())
    context = {"title": f"Golden signals: {chosen}", "dash": data, "stages": stages}
    return render(request, "dashboard.html", context)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, before: int | None = None) -> HTMLResponse:
    data = audit_view(site_of(request).store, before=before)
    return render(request, "audit.html", {"title": "Audit log", "audit": data, **_live(request)})


@router.get("/previews", response_class=HTMLResponse)
def previews_page(request: Request) -> HTMLResponse:
    from trainmaster.web.previews import previews

    data = previews(site_of(request))
    return render(request, "previews.html", {"title": "Previews", "previews": data})


def _live(request: Request) -> dict[str, int]:
    return {"seq": latest_seq(site_of(request).store)}
