"""maestro: the demo's sample service, a real aiohttp app exposing Prometheus metrics.

It is committed into the demo's git repository and run by the local target as
`python app.py --port {port}`. `LEAK_EVERY` is the release knob: the healthy releases always return
their database connections to the pool; the regressed release leaks one every 50 requests. Light
stage traffic never drains the pool of 8; production traffic does within seconds, and from then on
every request waits for a connection and some give up, like many real regressions.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

VERSION = "dev"
LEAK_EVERY = 0  # 0: connections always go back to the pool
POOL_SIZE = 8  # database connections
POOL_WAIT_SECONDS = 1.6  # how long a request waits when the pool is drained
POOL_TIMEOUT_RATIO = 0.12  # share of waiting requests that give up with 503
CAPACITY = 100  # in-flight requests at which the service is saturated

REQUESTS = Counter("http_requests", "HTTP requests.", ["code", "method", "path"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 5.0),
)
SATURATION = Gauge("app_saturation_ratio", "In-flight requests over capacity.")
INFO = Gauge("app_info", "Build information.", ["version"])


class Pool:
    def __init__(self, size: int) -> None:
        self.size = size
        self.leaked = 0
        self.served = 0
        self.in_flight = 0


async def work(request: web.Request) -> web.Response:
    pool: Pool = request.app["pool"]
    pool.served += 1
    if pool.leaked >= pool.size:
        await asyncio.sleep(POOL_WAIT_SECONDS)
        if random.random() < POOL_TIMEOUT_RATIO:
            return web.json_response({"error": "connection pool exhausted"}, status=503)
    elif LEAK_EVERY and pool.served % LEAK_EVERY == 0:
        pool.leaked += 1  # the bug: this connection never goes back
    await asyncio.sleep(random.uniform(0.005, 0.03))
    return web.json_response({"orders": random.randint(0, 9), "version": VERSION})


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": VERSION})


async def metrics(_request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def measure(request: web.Request, handler):  # type: ignore[no-untyped-def]
    if request.path in ("/metrics", "/healthz"):
        return await handler(request)
    pool: Pool = request.app["pool"]
    pool.in_flight += 1
    SATURATION.set(pool.in_flight / CAPACITY)
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        pool.in_flight -= 1
        SATURATION.set(pool.in_flight / CAPACITY)
        LATENCY.observe(time.perf_counter() - start)
        REQUESTS.labels(str(status), request.method, request.path).inc()


def build() -> web.Application:
    app = web.Application(middlewares=[measure])
    app["pool"] = Pool(POOL_SIZE)
    app.router.add_get("/", work)
    app.router.add_get("/orders", work)
    app.router.add_get("/healthz", health)
    app.router.add_get("/metrics", metrics)
    INFO.labels(VERSION).set(1)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--release", default=VERSION, help="Release shown in /healthz.")
    args = parser.parse_args()
    VERSION = args.release
    web.run_app(build(), host="127.0.0.1", port=args.port, print=None, access_log=None)
