"""Signing in and out, and /healthz: the only routes an unauthenticated request reaches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from trainmaster.audit.log import append_event
from trainmaster.web.auth import check_csrf, page_session, sessions_of, site_of
from trainmaster.web.oauth import authorize_url, user_for_code
from trainmaster.web.people import Person, may_sign_in, roles_of
from trainmaster.web.problems import Problem
from trainmaster.web.render import render
from trainmaster.web.session import COOKIE, STATE_COOKIE, STATE_MAX_AGE

router = APIRouter(include_in_schema=False)


def _cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


def callback_url(request: Request) -> str:
    base = site_of(request).public_url or str(request.base_url)
    return base.rstrip("/") + "/oauth/callback"


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> HTMLResponse:
    return render(request, "signin.html", {"title": "Sign in", "oauth": site_of(request).oauth})


@router.get("/signin/github")
def signin_github(request: Request) -> Response:
    app = site_of(request).oauth
    if app is None:
        raise Problem(503, "sign-in unavailable", "no GitHub OAuth app is configured")
    state, cookie = sessions_of(request).new_state()
    response = RedirectResponse(authorize_url(app, callback_url(request), state), 303)
    _cookie(response, STATE_COOKIE, cookie, STATE_MAX_AGE)
    return response


@router.get("/oauth/callback")
def oauth_callback(request: Request, code: str = "", state: str = "") -> Response:
    site = site_of(request)
    if site.oauth is None:
        raise Problem(503, "sign-in unavailable", "no GitHub OAuth app is configured")
    if not sessions_of(request).state_matches(request.cookies.get(STATE_COOKIE), state):
        raise Problem(403, "forbidden", "the sign-in state does not match: start again")
    user = user_for_code(site.oauth, code, callback_url(request))
    roles = roles_of(site.policy, user.login, user.email)
    if not may_sign_in(site.policy, roles):
        raise Problem(403, "forbidden", f"{user.login} holds no role in this policy")
    value, _ = sessions_of(request).issue(Person(user.login, user.name, roles))
    with site.store.transaction() as session:
        append_event(session, actor=user.login, action="web.signin", target="web/session")
    response = RedirectResponse("/", 303)
    _cookie(response, COOKIE, value, sessions_of(request).max_age)
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


@router.post("/signout")
def signout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(page_session(request), csrf)
    response = RedirectResponse("/signin", 303)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response
