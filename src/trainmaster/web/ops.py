"""/readyz and /metrics: trainmaster watched like the services it ships.

/healthz (signin.py) says the process is up. /readyz says whether it can do its work: the store
answers, its schema is at the newest migration, and the job runner ticked recently — 503 with
the failing part otherwise (no secrets, only what failed). /metrics is the Prometheus
exposition of the server's own counters (jobs run and failed, job lag, webhook deliveries,
gate evaluations); like every page it needs a signed-in person or a personal token (Bearer),
which a Prometheus scrape config sends as `authorization: {credentials_file: …}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from trainmaster.web.auth import api_person, site_of

router = APIRouter(include_in_schema=False)


def readiness(request: Request) -> dict[str, Any]:
    from sqlalchemy import text

    site = site_of(request)
    checks: dict[str, Any] = {}
    try:
        with site.store.transaction() as session:
            session.execute(text("SELECT 1"))
        checks["store"] = True
        checks["migrations"] = site.store.is_current()
    except Exception as error:  # any failure of the store means: not ready, and why
        checks["store"] = False
        checks["migrations"] = False
        checks["error"] = error.__class__.__name__
    from trainmaster.jobs.runner import Runner

    runner = site.cache.get("runner")
    checks["jobs"] = runner.alive() if isinstance(runner, Runner) else True
    return checks


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    checks = readiness(request)
    ready = all(checks.get(name) for name in ("store", "migrations", "jobs"))
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


@router.get("/metrics", dependencies=[Depends(api_person)])
def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from trainmaster.jobs.metrics import REGISTRY, observe_store

    observe_store(site_of(request).store)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
