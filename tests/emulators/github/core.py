"""The GitHub API emulator's engine: routing, auth, ETags, rate-limit headers, faults, validation.

`GitHubEmulator.handle(request)` is an httpx transport handler, so the same logic serves an
in-process `httpx.MockTransport` and the HTTP server on 127.0.0.1. The API lives under
`/api/v3` and uploads under `/api/uploads`, as on GitHub Enterprise Server.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.emulators.github import spec
from tests.emulators.github.state import State

_DISPATCH = threading.RLock()
API_PREFIX = "/api/v3"
UPLOADS_PREFIX = "/api/uploads"
# Built from parts so the repository itself does not trip secret scanners; it is no real token.
TOKEN = "ghp_" + "emulator" + "Token0123456789abcdef"
SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes."


class Dropped(Exception):
    """The connection is cut: the server sends no response."""


@dataclass
class Fault:
    """An injected failure for requests matching `method` and the `path` regex."""

    kind: str  # "status", "secondary", "rate-limit", "drop", "drop-after", "slow"
    method: str | None = None
    path: str | None = None
    status: int = 502
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1
    skip: int = 0  # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return not (self.path and not re.search(self.path, path))


@dataclass
class Logged:
    method: str
    path: str
    status: int
    body: Any = None
    query: str = ""


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["Call"], Reply]


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    raw: bytes
    headers: httpx.Headers


class GitHubEmulator:
    def __init__(self, *, validate: bool = True, url: str = "http://127.0.0.1") -> None:
        from tests.emulators.github.routes import ROUTES
        from tests.emulators.github.routes_governance import bind
        from tests.emulators.github.state import AppInstallation

        self.state = State(base=url)
        self.requests: list[Logged] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.latency = 0.0
        self.validate = validate
        self.tokens = {TOKEN}
        self.rate_limit = 5000
        self.rate_used = 0
        self.secondary_sent = 0
        self.max_concurrent = 100
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.RLock()
        self._bind = bind
        self.state.tokens = self.tokens
        self._app_type = AppInstallation
        self._routes = [(m, re.compile(f"^{p}$"), h) for m, p, h in ROUTES]
        from tests.emulators.github.oauth import OAuth

        self.oauth = OAuth()  # the OAuth app web flow under /login/oauth (oauth.py)
        self.state.oauth = self.oauth

    @property
    def url(self) -> str:
        return self.state.base + API_PREFIX

    def set_base(self, base: str) -> None:
        self.state.base = base

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def enable_app(self, app_id: int, public_key_pem: str, installation_id: int = 77) -> None:
        """Accept GitHub App JWTs signed by the matching private key."""
        self.state.app_auth = self._app_type(app_id, public_key_pem, installation_id, self.tokens)

    def fail(self, kind: str, **kwargs: Any) -> Fault:
        fault = Fault(kind, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def writes(self) -> list[Logged]:
        return [r for r in self.requests if r.method != "GET" and r.status < 400]

    # --- the handler ------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            crowded = self.in_flight > self.max_concurrent
        try:
            if crowded:  # GitHub: no more than 100 concurrent requests (secondary limit)
                return self._faulted(Fault("secondary"), request.method, request.url.path)
            return self._handle(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if self.latency:
            time.sleep(self.latency)
        raw_path = request.url.path
        if raw_path.startswith("/login/oauth/"):
            with self._lock:
                return self.oauth.handle(request, self.tokens)
        if raw_path.startswith(UPLOADS_PREFIX):
            path, host = raw_path[len(UPLOADS_PREFIX) :], spec.UPLOADS_HOST
        elif raw_path.startswith(API_PREFIX):
            path, host = raw_path[len(API_PREFIX) :], spec.API_HOST
        else:
            return _json(Reply(404, {"message": "Not Found"}))
        method = request.method
        fault = self._fault(method, path)
        if fault is not None and fault.kind not in ("drop-after", "slow"):
            return self._faulted(fault, method, path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if self.validate and (problem := spec.validate_request(request, host, path)):
            self._violation(f"request {method} {path}: {problem}")
            return self._log(method, path, request, Reply(422, {"message": "Invalid request."}))
        reply = self._dispatch(request, method, path)
        response = self._finish(request, method, path, reply)
        if self.validate and 200 <= response.status_code < 300:
            problem = spec.validate_response(
                request, host, path, reply.status, response.content, dict(response.headers)
            )
            if problem:
                self._violation(f"response {method} {path}: {problem}")
        if fault is not None:  # drop-after: GitHub acted, the client never hears of it
            raise httpx.RemoteProtocolError("connection dropped after the request was handled")
        return response

    def _fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    return fault
        return None

    def _faulted(self, fault: Fault, method: str, path: str) -> httpx.Response:
        if fault.kind == "drop":
            self.requests.append(Logged(method, path, 0))
            raise httpx.RemoteProtocolError("connection dropped by the emulator")
        headers = self._limit_headers()
        if fault.kind == "secondary":
            self.secondary_sent += 1
            reply = Reply(403, {"message": SECONDARY_MESSAGE}, {"retry-after": "1"})
        elif fault.kind == "rate-limit":
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-reset"] = str(int(time.time()) + 1)
            reply = Reply(429, {"message": "API rate limit exceeded"})
        else:
            reply = Reply(fault.status, {"message": "Server Error"})
        if fault.retry_after is not None:
            reply.headers["retry-after"] = str(fault.retry_after)
        self.requests.append(Logged(method, path, reply.status))
        return _json(reply, {**headers, **reply.headers})

    def _dispatch(self, request: httpx.Request, method: str, path: str) -> Reply:
        auth = request.headers.get("authorization", "")
        as_app = path.startswith("/app/") or path.endswith("/installation")  # JWT, checked later
        if not as_app and auth.removeprefix("Bearer ") not in self.tokens:
            return Reply(401, {"message": "Bad credentials"})
        body: Any = None
        if request.content and "json" in request.headers.get("content-type", "json"):
            body = json.loads(request.content)
        query = {k: v for k, v in request.url.params.items()}
        for route_method, pattern, handler in self._routes:
            if route_method != method:
                continue
            match = pattern.match(path)
            if match:
                call = Call(
                    method, path, match.groupdict(), query, body, request.content, request.headers
                )
                with _DISPATCH:  # handlers work on the bound state, one emulator at a time
                    self._bind(self.state)
                    return handler(call)
        return Reply(404, {"message": "Not Found"})

    def _finish(
        self, request: httpx.Request, method: str, path: str, reply: Reply
    ) -> httpx.Response:
        headers = {**self._limit_headers(), **reply.headers}
        if method == "GET" and reply.status == 200:
            etag = 'W/"' + hashlib.sha256(_dump(reply.body)).hexdigest()[:40] + '"'
            headers["etag"] = etag
            if request.headers.get("if-none-match") == etag:
                self._log(method, path, request, Reply(304))
                return httpx.Response(304, headers=headers)
        with self._lock:
            self.rate_used += 1
        headers = {**headers, **self._limit_headers()}
        self._log(method, path, request, reply)
        return _json(reply, headers)

    def _limit_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(0, self.rate_limit - self.rate_used)),
            "x-ratelimit-used": str(self.rate_used),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-resource": "core",
        }

    def _log(self, method: str, path: str, request: httpx.Request, reply: Reply) -> httpx.Response:
        body: Any = None
        if request.content and "json" in request.headers.get("content-type", ""):
            body = json.loads(request.content)
        with self._lock:
            self.requests.append(
                Logged(method, path, reply.status, body, request.url.query.decode())
            )
        return _json(reply)

    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)


def _dump(body: Any) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _json(reply: Reply, headers: dict[str, str] | None = None) -> httpx.Response:
    all_headers = {**(headers or {}), **reply.headers}
    if reply.body is None:
        return httpx.Response(reply.status, headers=all_headers)
    all_headers["content-type"] = "application/json; charset=utf-8"
    return httpx.Response(reply.status, headers=all_headers, content=_dump(reply.body))
