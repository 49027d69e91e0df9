"""The built-in blue/green reverse proxy (aiohttp), on its own event-loop thread.

The active upstream is one attribute read once per request, so a switch is atomic: requests that
started keep going to the colour they started on (which stays up, warm), new ones go to the new
colour. No request is dropped by a switch.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class EventLoopThread:
    """One asyncio loop in a daemon thread, shared by every proxy of a local cluster."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="proxy")
        self._thread.start()

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)


class BlueGreenProxy:
    def __init__(self, loop: EventLoopThread, port: int = 0) -> None:
        self._loop = loop
        self._requested_port = port
        self.upstream: str | None = None
        self.port = 0
        self._runner: Any = None
        self._session: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        self._loop.run(self._start())
        return self.url

    def switch(self, upstream: str) -> None:
        self.upstream = upstream  # one assignment: atomic for every request that follows

    def stop(self) -> None:
        if self._runner is not None:
            self._loop.run(self._stop())
            self._runner = None

    async def _start(self) -> None:
        from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

        self._session = ClientSession(
            connector=TCPConnector(limit=256),
            timeout=ClientTimeout(total=60),
            auto_decompress=False,
        )
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._requested_port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        await self._runner.cleanup()
        await self._session.close()

    async def _forward(self, request: Any) -> Any:
        from aiohttp import ClientError, web

        upstream = self.upstream
        if upstream is None:
            return web.Response(status=503, text="no release is live\n")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        body = await request.read()
        try:
            async with self._session.request(
                request.method,
                upstream + request.rel_url.path_qs,
                headers=headers,
                data=body or None,
                allow_redirects=False,
            ) as response:
                payload = await response.read()
                out = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
                return web.Response(status=response.status, body=payload, headers=out)
        except (ClientError, TimeoutError) as e:
            return web.Response(status=502, text=f"upstream {upstream} failed: {e}\n")
