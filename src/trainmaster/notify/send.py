"""One delivery attempt over HTTP (signed webhook, Slack, Teams) and what its outcome means.

Outcomes follow the receivers' documented semantics: 2xx delivered; 429 and 5xx (and 408, 425)
temporary, honouring `Retry-After`; any other 4xx permanent (retrying the same request cannot
help). A network error or a timeout is temporary. Attempts are short (the target's `timeout`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from trainmaster.config.notify import NotifyTarget
from trainmaster.notify.retry import retry_after
from trainmaster.notify.signing import webhook_headers
from trainmaster.notify.slack import slack_message
from trainmaster.notify.teams import teams_message

SLACK_API = "https://slack.com/api/chat.postMessage"
TEMPORARY_STATUS = frozenset({408, 425, 429})
REPLY_MAX = 64 * 1024  # bytes of an answer read; Slack's API answer is far smaller


@dataclass(frozen=True)
class Attempt:
    ok: bool
    temporary: bool = False
    error: str = ""
    retry_after: float | None = None  # seconds the receiver asked for


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def http_request(
    target: NotifyTarget,
    secret: str | None,
    message_id: str,
    event: Mapping[str, Any],
    *,
    slack_api: str = SLACK_API,
    now: float | None = None,
) -> Request:
    """The exact request an attempt sends (what `notify test --dry-run` prints, unsigned parts
    aside)."""
    if target.type == "webhook":
        body = _json(event)
        stamp = int(now if now is not None else time.time())
        assert secret is not None and target.url is not None
        return Request(target.url, body, webhook_headers(secret, message_id, stamp, body))
    headers = {"content-type": "application/json", "idempotency-key": message_id}
    if target.type == "slack":
        if target.channel:
            assert secret is not None
            body = _json(slack_message(event, target.channel))
            return Request(slack_api, body, {**headers, "authorization": f"Bearer {secret}"})
        assert secret is not None
        return Request(secret, _json(slack_message(event)), headers)
    url = target.url or secret
    assert url is not None
    return Request(url, _json(teams_message(event)), headers)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def post(
    request: Request,
    timeout: float,
    *,
    slack_api_reply: bool = False,
    client: httpx.Client | None = None,
) -> Attempt:
    """One POST. A deliverer passes its client (one TLS context and connection pool per run:
    building a client loads the CA bundle, which costs more than a loopback request)."""
    own = client is None
    http = client or httpx.Client(follow_redirects=False, trust_env=False)
    try:
        with http.stream(
            "POST", request.url, content=request.body, headers=request.headers, timeout=timeout
        ) as response:
            body = _bounded(response)
    except httpx.TimeoutException:
        return Attempt(False, True, f"no answer within {timeout:.3g}s")
    except httpx.HTTPError as e:
        return Attempt(False, True, f"cannot reach the target: {type(e).__name__}")
    finally:
        if own:
            http.close()
    return outcome(response, body, slack_api_reply=slack_api_reply)


def _bounded(response: httpx.Response) -> bytes:
    """The answer's first REPLY_MAX bytes: only Slack's API answer is read (a small JSON
    object); a receiver answering with megabytes costs nothing beyond that."""
    kept = bytearray()
    for chunk in response.iter_bytes():
        kept += chunk[: REPLY_MAX - len(kept)]
        if len(kept) >= REPLY_MAX:
            break
    return bytes(kept)


def outcome(response: httpx.Response, body: bytes, *, slack_api_reply: bool = False) -> Attempt:
    status = response.status_code
    asked = retry_after(response.headers.get("retry-after"), datetime.now(UTC))
    if 200 <= status < 300:
        return _slack_api(body) if slack_api_reply else Attempt(True)
    reason = f"HTTP {status}"
    if status in TEMPORARY_STATUS or status >= 500:
        return Attempt(False, True, reason, asked)
    return Attempt(False, False, f"{reason} (permanent: the receiver refused this request)")


def _slack_api(body: bytes) -> Attempt:
    """chat.postMessage answers 200 with `ok: false` and an error code on failure."""
    try:
        reply = json.loads(body)
    except ValueError:
        return Attempt(False, True, "Slack answered with something other than JSON")
    if isinstance(reply, dict) and reply.get("ok") is True:
        return Attempt(True)
    error = str(reply.get("error", "unknown")) if isinstance(reply, dict) else "unknown"
    return Attempt(
        False, error in ("ratelimited", "internal_error", "fatal_error"), f"Slack: {error}"
    )
