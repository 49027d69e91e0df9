"""Who is asking: a Bearer personal token (API) or the signed session cookie (pages and API),
and the CSRF check for anything that changes state.

An unauthenticated request reaches nothing but the sign-in pages and /healthz: a page sends it
to sign in, the API answers 401."""

from __future__ import annotations

from fastapi import Request

from trainmaster.web.people import Person, roles_of
from trainmaster.web.problems import Problem
from trainmaster.web.session import COOKIE, Session, Sessions, csrf_ok
from trainmaster.web.settings import Site
from trainmaster.web.tokens import owner_of

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """No valid session: pages redirect to /signin, the API answers 401."""


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def sessions_of(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def session_of(request: Request) -> Session | None:
    data = sessions_of(request).read(request.cookies.get(COOKIE))
    if data is None or not data.get("login") or not data.get("csrf"):
        return None
    site = site_of(request)
    person = Person(data["login"], data.get("name", ""), roles_of(site.policy, data["login"]))
    return Session(person, data["csrf"])


def bearer_person(request: Request) -> Person | None:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return None
    site = site_of(request)
    owner = owner_of(site.store, secret.strip(), site.now())
    if owner is None:
        raise Problem(401, "unauthorized", "the token is unknown, revoked or expired")
    return Person(owner, "", roles_of(site.policy, owner), via="token")


def page_session(request: Request) -> Session:
    """Dependency of every page: the session, or off to sign in."""
    session = session_of(request)
    if session is None:
        raise SignInRequired()
    return session


def api_person(request: Request) -> Person:
    """Dependency of every API route: a token's owner, or the session's person."""
    person = bearer_person(request)
    if person is not None:
        return person
    session = session_of(request)
    if session is None:
        raise Problem(401, "unauthorized", "sign in, or send a personal token as Bearer")
    if request.method not in ("GET", "HEAD") and not csrf_ok(
        session, request.headers.get(CSRF_HEADER)
    ):
        raise Problem(
            403, "forbidden", "a cookie-authenticated change needs the X-CSRF-Token header"
        )
    return session.person


def check_csrf(session: Session, presented: str | None) -> None:
    if not csrf_ok(session, presented):
        raise Problem(403, "forbidden", "missing or forged CSRF token: nothing was changed")
