"""Live updates by server-sent events: the stream says `change` as soon as the audit chain grows
(every state change appends an event, whichever process made it), and the page reloads.

One `Tail` per server reads the chain's tail at most every POLL seconds, however many pages are
open: a hundred open tabs cost the store two reads a second, not two hundred."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from trainmaster.web.auth import page_session

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_session)])
POLL = 0.5  # seconds between looks at the chain's tail: a change shows within 2 s
STREAM = 30.0  # seconds a stream stays open; the browser reconnects by itself


class Tail:
    """The chain's newest seq, shared by every stream of one server."""

    def __init__(self, read: Callable[[], int], every: float = POLL) -> None:
        self._read, self._every = read, every
        self._seq, self._read_at = 0, float("-inf")
        self._lock = asyncio.Lock()

    async def latest(self) -> int:
        async with self._lock:
            if time.monotonic() - self._read_at >= self._every:
                self._seq = await asyncio.to_thread(self._read)
                self._read_at = time.monotonic()
            return self._seq


@router.get("/live")
async def live(request: Request, seq: int = 0) -> StreamingResponse:
    tail: Tail = request.app.state.tail

    async def events() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        waited = 0.0
        while waited < STREAM:
            if await request.is_disconnected():
                return
            now = await tail.latest()
            if now > seq:
                yield f"event: change\ndata: {now}\n\n"
                return
            await asyncio.sleep(POLL)
            waited += POLL

    return StreamingResponse(events(), media_type="text/event-stream")
