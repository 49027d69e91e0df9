"""`POST /webhooks/github`: GitHub's deliveries to the App. No session: the signature
(`X-Hub-Signature-256`, the App's webhook secret) is the authentication. The body is bounded
before it is read whole, the signature checked before it is parsed, and the reply (202) sent
once the delivery is stored; the work happens in a job (GitHub wants an answer within 10 s)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from trainmaster.github_app import intake, signature
from trainmaster.web.settings import Site

router = APIRouter()


def _problem(status: int, title: str, detail: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def _body(request: Request) -> bytes | None:
    """The raw body, or None when it is over the bound (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > intake.MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > intake.MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/webhooks/github")
async def github_webhook(request: Request) -> Response:
    site: Site = request.app.state.site
    cached = site.cache.get("webhook-secret")
    secret = cached if isinstance(cached, bytes) else signature.webhook_secret()
    if secret is None:
        return _problem(503, "webhooks not configured", f"set {signature.SECRET_ENV}")
    site.cache["webhook-secret"] = secret
    body = await _body(request)
    if body is None:
        return _problem(413, "payload too large", f"over {intake.MAX_BODY} bytes")
    if not signature.valid(secret, body, request.headers.get("x-hub-signature-256")):
        return _problem(401, "bad signature", "X-Hub-Signature-256 missing or wrong")
    try:
        receipt = await run_in_threadpool(
            intake.receive, site.store, site.policy, request.headers, body, site.now()
        )
    except intake.BadDelivery as bad:
        return _problem(bad.status, "bad delivery", bad.message)
    status = 202 if receipt.stored else 200
    return JSONResponse({"delivery": receipt.delivery, "outcome": receipt.outcome}, status)
