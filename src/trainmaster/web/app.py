"""The ASGI application: routers, templates, static files, security headers, and how errors
become responses (a problem document for the API, a page for a person)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from trainmaster.errors import TrainmasterError
from trainmaster.web.audit_view import latest_seq
from trainmaster.web.auth import SignInRequired
from trainmaster.web.problems import Problem, from_error, problem_response
from trainmaster.web.render import render
from trainmaster.web.session import Sessions
from trainmaster.web.settings import Site

MAX_BODY = 16 * 1024  # bytes in a request body: a reason is at most 2,000 characters
# Nothing but our own files: no inline script, no third-party origin, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self' {oauth}; base-uri 'none'"
)


def create_app(site: Site) -> FastAPI:
    from trainmaster import __version__
    from trainmaster.web import api, jobs_page, live, ops, pages, signin, webhooks

    app = FastAPI(
        title="trainmaster",
        version=__version__,
        openapi_url=None,  # served by api.py, behind sign-in like everything else
        docs_url=None,
        redoc_url=None,
    )
    app.state.site = site
    app.state.tail = live.Tail(lambda: latest_seq(site.store))
    app.state.sessions = Sessions(
        site.secret, int(site.session_hours * 3600), lambda: site.now().timestamp()
    )
    static = files("trainmaster.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (signin, pages, live, api):
        app.include_router(module.router)
    for router in (jobs_page.pages, jobs_page.api, ops.router):  # issue 19
        app.include_router(router)
    app.include_router(webhooks.router)  # issue 18: signed, not signed in
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(TrainmasterError, _trainmaster_error)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)
    csp = CSP.format(oauth=site.oauth.web_url if site.oauth else "")
    app.middleware("http")(_headers(csp))
    return app


def _headers(csp: str) -> Callable[[Request, Any], Awaitable[Response]]:
    async def add(request: Request, call_next: Any) -> Response:
        began = time.perf_counter()
        if _too_big(request):
            return problem_response(
                Problem(413, "too large", f"bodies are at most {MAX_BODY} bytes")
            )
        response: Response = await call_next(request)
        # Server-Timing: what the server spent, readable by a browser or a benchmark client.
        spent = (time.perf_counter() - began) * 1000
        response.headers["server-timing"] = f"app;dur={spent:.1f}"
        response.headers.setdefault("content-security-policy", csp)
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["referrer-policy"] = "same-origin"
        response.headers["x-frame-options"] = "DENY"
        if request.url.path not in ("/healthz", "/readyz") and not request.url.path.startswith(
            "/static"
        ):
            response.headers.setdefault("cache-control", "no-store")
        return response

    return add


def _too_big(request: Request) -> bool:
    """Bounded before any work: a form or JSON body is a reason and a few fields, never more
    than MAX_BODY; a body of unknown length is refused too. GitHub's webhooks have their own,
    larger bound (web/webhooks.py: 5 MB, checked before the body is read)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.url.path == "/webhooks/github":
        return False
    length = request.headers.get("content-length")
    if length is None:
        return request.headers.get("transfer-encoding", "").lower() == "chunked"
    return not length.isdigit() or int(length) > MAX_BODY


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


async def _problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, Problem)
    if _wants_page(request):
        return render_problem(request, error)
    return problem_response(error)


async def _trainmaster_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, TrainmasterError)
    return await _problem(request, from_error(error))


async def _sign_in(request: Request, error: Exception) -> Response:
    if _wants_page(request):
        return RedirectResponse("/signin", status_code=303)
    return problem_response(Problem(401, "unauthorized", "sign in first"))


async def _invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    fields = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in error.errors()
    ]
    return await _problem(request, Problem(422, "invalid request", "; ".join(fields)))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    title = "not found" if error.status_code == 404 else "error"
    return await _problem(request, Problem(error.status_code, title, str(error.detail)))


def render_problem(request: Request, problem: Problem) -> HTMLResponse:
    return render(
        request,
        "problem.html",
        {"problem": problem.body(), "title": problem.title},
        status=problem.status,
    )
