"""The GitHub REST client: auth, conditional GETs, pagination, retries and rate limits.

Reads may run concurrently (callers bound the pool); writes go through one lock so there is a
single write queue, spaced as GitHub asks for mutating requests. Temporary failures (5xx, 429,
secondary-limit 403, dropped connections) are retried with jittered backoff, honouring
`retry-after` and `x-ratelimit-reset`; a POST is only retried when GitHub certainly did not act on
it (429 / rate-limit 403), so a retry never creates a duplicate.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from trainmaster.adapters.github.auth import Credentials
from trainmaster.adapters.github.errors import GitHubError, for_status
from trainmaster.adapters.github.etags import EtagCache, MemoryEtagCache
from trainmaster.adapters.github.pacing import Pacer

API_VERSION = "2022-11-28"
USER_AGENT = "trainmaster"
_OWNER = re.compile(r"^/(?:repos|orgs|users)/([^/]+)")
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


@dataclass
class Settings:
    """How hard the client tries and how politely it writes."""

    max_attempts: int = 5
    backoff_base: float = 1.0  # seconds; doubled per attempt, with full jitter
    backoff_cap: float = 60.0  # seconds; no single wait is longer
    write_interval: float = 1.0  # seconds between mutating requests (GitHub's guidance)
    timeout: float = 30.0  # seconds per request
    points_per_minute: int | None = None  # per endpoint; GitHub.com allows 900 (None: unpaced)


@dataclass
class Stats:
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    secondary_limits: int = 0
    writes: int = 0
    by_owner: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: httpx.Headers


class GitHubClient:
    def __init__(
        self,
        api_url: str,
        credentials: Credentials | None,
        *,
        transport: httpx.BaseTransport | None = None,
        etags: EtagCache | None = None,
        settings: Settings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.uploads_url = uploads_base(self.api_url)
        self.credentials = credentials
        self.etags = etags if etags is not None else MemoryEtagCache()
        self.settings = settings or Settings()
        self.stats = Stats()
        self._sleep = sleep
        self._write_lock = threading.Lock()
        self._last_write = 0.0
        self._stats_lock = threading.Lock()
        self._pacer = (
            Pacer(self.settings.points_per_minute) if self.settings.points_per_minute else None
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=self.settings.timeout,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": USER_AGENT,
            },
        )

    def close(self) -> None:
        self.etags.flush()
        self._http.close()

    # --- reads ------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """A conditional GET: a remembered ETag turns an unchanged resource into a cheap 304."""
        url = self._url(path, params)
        cached = self.etags.get(url)
        headers = {"If-None-Match": cached.etag} if cached else {}
        reply = self._send("GET", url, path, headers=headers)
        if reply.status == 304 and cached is not None:
            return cached.body
        etag = reply.headers.get("etag")
        if etag:
            self.etags.put(url, etag, reply.body)
        return reply.body

    def get_all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every page of a list endpoint (per_page=100, following Link rel=next)."""
        query = {"per_page": 100, **(params or {})}
        items: list[Any] = []
        url: str | None = self._url(path, query)
        while url is not None:
            cached = self.etags.get(url)
            headers = {"If-None-Match": cached.etag} if cached else {}
            reply = self._send("GET", url, path, headers=headers)
            if reply.status == 304 and cached is not None:
                page, link = cached.body["items"], cached.body["next"]
            else:
                page, link = reply.body, _next_link(reply.headers)
                if etag := reply.headers.get("etag"):
                    self.etags.put(url, etag, {"items": page, "next": link})
            items.extend(page if isinstance(page, list) else _list_in(page))
            url = link
        return items

    # --- writes -----------------------------------------------------------------------------

    def write(self, method: str, path: str, body: Any = None) -> Any:
        return self._write(method, self._url(path), path, json_body=body).body

    def upload(self, path: str, params: dict[str, str], data: bytes, content_type: str) -> Any:
        url = f"{self.uploads_url}{path}?" + httpx.QueryParams(params).__str__()
        headers = {"Content-Type": content_type}
        return self._write("POST", url, path, content=data, headers=headers).body

    def _write(self, method: str, url: str, path: str, **kwargs: Any) -> Reply:
        with self._write_lock:
            wait = self._last_write + self.settings.write_interval - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            try:
                return self._send(method, url, path, **kwargs)
            finally:
                self._last_write = time.monotonic()
                with self._stats_lock:
                    self.stats.writes += 1

    # --- the one place that talks HTTP ------------------------------------------------------

    def _url(self, path: str, params: dict[str, Any] | None = None) -> str:
        url = f"{self.api_url}{path}"
        return f"{url}?{httpx.QueryParams(params)}" if params else url

    def _send(
        self,
        method: str,
        url: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
    ) -> Reply:
        attempt = 0
        while True:
            attempt += 1
            all_headers = {**(headers or {}), **self._auth(path)}
            if self._pacer is not None:
                self._pacer.wait(method, path)
            try:
                response = self._http.request(
                    method, url, headers=all_headers, json=json_body, content=content
                )
            except httpx.TransportError as e:
                failure = GitHubError(
                    f"{method} {path}: no response from GitHub ({type(e).__name__})",
                    method=method,
                    path=path,
                    temporary=True,
                )
                # The request may have landed: only idempotent methods are sent again.
                if method == "POST" or attempt >= self.settings.max_attempts:
                    raise failure from None
                self._count("retries")
                self._sleep(self._jitter(attempt))
                continue
            reply = self._reply(response, path)
            if reply.status < 400 or reply.status == 304:
                return reply
            delay = self._retry_delay(method, reply, attempt)
            if delay is None:
                raise for_status(reply.status, method, path, reply.body)
            self._count("retries")
            self._sleep(delay)

    def _reply(self, response: httpx.Response, path: str) -> Reply:
        self._count("requests")
        owner = _owner(path) or ""
        with self._stats_lock:
            self.stats.by_owner[owner] = self.stats.by_owner.get(owner, 0) + 1
        if response.status_code == 304:
            self._count("not_modified")
        body: Any = None
        if response.content and "json" in response.headers.get("content-type", ""):
            body = response.json()
        return Reply(response.status_code, body, response.headers)

    def _retry_delay(self, method: str, reply: Reply, attempt: int) -> float | None:
        """Seconds to wait before sending again, or None when a retry cannot help."""
        if attempt >= self.settings.max_attempts:
            return None
        limited = _rate_limited(reply)
        if limited:
            if "secondary" in limited:
                self._count("secondary_limits")
            return self._limit_wait(reply.headers, attempt)
        if reply.status >= 500 and method != "POST":
            return self._jitter(attempt)
        return None

    def _limit_wait(self, headers: httpx.Headers, attempt: int) -> float:
        if retry_after := headers.get("retry-after"):
            return min(float(retry_after), self.settings.backoff_cap)
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            until_reset = float(headers["x-ratelimit-reset"]) - time.time()
            return min(max(until_reset, 0.0) + 1.0, self.settings.backoff_cap)
        # GitHub: without headers, wait at least a minute, then back off exponentially.
        return min(max(60.0, self._jitter(attempt)), self.settings.backoff_cap)

    def _jitter(self, attempt: int) -> float:
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads retries; not security

    def _count(self, name: str) -> None:
        with self._stats_lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def _auth(self, path: str) -> dict[str, str]:
        if self.credentials is None or path.startswith("/app/"):
            return {}
        return {"Authorization": self.credentials.authorization(_owner(path), self._app_fetch)}

    def _app_fetch(self, method: str, path: str, headers: dict[str, str]) -> Any:
        """Requests authenticated as the App itself (JWT): installation lookups and tokens."""
        response = self._http.request(method, self._url(path), headers=headers)
        reply = self._reply(response, path)
        if reply.status >= 400:
            raise for_status(reply.status, method, path, reply.body)
        return reply.body


def uploads_base(api_url: str) -> str:
    """Release assets go to a separate host: uploads.github.com, or HOST/api/uploads on GHES."""
    parts = urlsplit(api_url)
    if parts.hostname == "api.github.com":
        return "https://uploads.github.com"
    if parts.path.rstrip("/").endswith("/api/v3"):
        return api_url.rstrip("/")[: -len("/api/v3")] + "/api/uploads"
    return api_url.rstrip("/")


def _rate_limited(reply: Reply) -> str:
    """'primary', 'secondary' or '' — GitHub signals limits with 429 or a 403 that says so."""
    if reply.status not in (403, 429):
        return ""
    message = str(reply.body.get("message", "")) if isinstance(reply.body, dict) else ""
    if "secondary rate limit" in message.lower() or (
        reply.status == 403 and "retry-after" in reply.headers
    ):
        return "secondary"
    if reply.status == 429 or reply.headers.get("x-ratelimit-remaining") == "0":
        return "primary"
    return ""


def _owner(path: str) -> str | None:
    match = _OWNER.match(path)
    return match.group(1) if match else None


def _next_link(headers: httpx.Headers) -> str | None:
    match = _NEXT.search(headers.get("link", ""))
    return match.group(1) if match else None


def _list_in(page: Any) -> list[Any]:
    """Some list endpoints wrap the list: {"total_count": n, "environments": [...]}."""
    if isinstance(page, dict):
        for value in page.values():
            if isinstance(value, list):
                return value
    return []
