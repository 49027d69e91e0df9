"""Live updates by server-sent events: the stream says `change` as soon as the audit chain grows
(every state change appends an event, whichever process made it), and the page reloads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from trainmaster.web.audit_view import latest_seq
from trainmaster.web.auth import page_session, site_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_session)])
POLL = 0.5  # seconds between looks at the chain's tail: a change shows within 2 s
STREAM = 30.0  # seconds a stream stays open; the browser reconnects by itself


@router.get("/live")
async def live(request: Request, seq: int = 0) -> StreamingResponse:
    store = site_of(request).store

    async def events() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        waited = 0.0
        while waited < STREAM:
            if await request.is_disconnected():
                return
            now = await asyncio.to_thread(latest_seq, store)
            if now > seq:
                yield f"event: change\ndata: {now}\n\n"
                return
            await asyncio.sleep(POLL)
            waited += POLL

    return StreamingResponse(events(), media_type="text/event-stream")
