"""Signed-cookie sessions and their CSRF token.

The cookie holds who signed in, when, and the CSRF token of the session, signed with the
server's secret (itsdangerous): nothing is stored server-side, a forged cookie fails the
signature, and an old one fails the age check. It is `Secure`, `HttpOnly` and `SameSite=Lax`."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from trainmaster.web.people import Person

COOKIE = "tm_session"
STATE_COOKIE = "tm_oauth"  # the OAuth `state` between the redirect and the callback
STATE_MAX_AGE = 600  # seconds a sign-in may take at GitHub


@dataclass(frozen=True)
class Session:
    person: Person
    csrf: str


class Sessions:
    def __init__(self, secret: bytes, max_age: int, clock: Callable[[], float] = time.time) -> None:
        self.max_age = max_age
        signer = _clocked(clock)
        self._signer = URLSafeTimedSerializer(secret, salt="trainmaster.session", signer=signer)
        self._state_signer = URLSafeTimedSerializer(
            secret, salt="trainmaster.oauth-state", signer=signer
        )

    def issue(self, person: Person) -> tuple[str, Session]:
        session = Session(person, secrets.token_urlsafe(32))
        value = self._signer.dumps(
            {"login": person.login, "name": person.name, "csrf": session.csrf}
        )
        return value, session

    def read(self, cookie: str | None) -> dict[str, str] | None:
        """The cookie's content, or None when missing, forged or older than `max_age`."""
        if not cookie or len(cookie) > 4096:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.max_age)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return None
        return data

    def new_state(self) -> tuple[str, str]:
        """A fresh OAuth `state` and the signed cookie that remembers it."""
        state = secrets.token_urlsafe(24)
        return state, self._state_signer.dumps(state)

    def state_matches(self, cookie: str | None, state: str) -> bool:
        if not cookie or not state:
            return False
        try:
            expected = self._state_signer.loads(cookie, max_age=STATE_MAX_AGE)
        except (SignatureExpired, BadSignature):
            return False
        return isinstance(expected, str) and hmac.compare_digest(expected, state)


def _clocked(clock: Callable[[], float]) -> type[TimestampSigner]:
    """A signer that reads the server's clock, so sessions age with it."""

    class Clocked(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return Clocked


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf, presented or "")
