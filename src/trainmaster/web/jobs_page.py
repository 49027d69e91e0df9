"""The jobs page and API: what runs on its own — scheduled next, running, done, dead (and why) —
with retry and cancel, each with a reason, through `jobs.use_cases` (authorized, audited); and
the notification outbox's undelivered messages (pending retries and dead letters, issue 20)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from trainmaster.jobs.model import Job, JobStatus
from trainmaster.jobs.runner import Runner
from trainmaster.store import Store
from trainmaster.web.auth import api_person, check_csrf, page_session, site_of
from trainmaster.web.people import Person
from trainmaster.web.render import render
from trainmaster.web.session import Session

MAX_REASON = 2000
pages = APIRouter(include_in_schema=False, dependencies=[Depends(page_session)])
api = APIRouter(prefix="/api", dependencies=[Depends(api_person)])
Signed = Annotated[Session, Depends(page_session)]
Caller = Annotated[Person, Depends(api_person)]


def jobs_view(request: Request, limit: int = 100) -> dict[str, Any]:
    """The jobs grouped as a person asks: what is next, what runs, what failed, what ran."""
    from trainmaster.jobs.use_cases import list_jobs

    site = site_of(request)
    jobs = list_jobs(site.store, limit=limit)
    runner = site.cache.get("runner")
    alive = isinstance(runner, Runner) and runner.alive()
    finished = (JobStatus.SUCCEEDED, JobStatus.CANCELLED)
    scheduled = [j.as_json() for j in jobs if j.status is JobStatus.SCHEDULED]
    return {
        "next": sorted(scheduled, key=lambda j: str(j["run_at"])),
        "running": [j.as_json() for j in jobs if j.status is JobStatus.RUNNING],
        "dead": [j.as_json() for j in jobs if j.status is JobStatus.DEAD],
        "done": [j.as_json() for j in jobs if j.status in finished],
        "runner": {"alive": alive, "owner": runner.owner if isinstance(runner, Runner) else None},
        "notifications": undelivered(site.store),
    }


def undelivered(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Notifications not delivered yet: retrying (pending) and given up (dead letters, which
    `trainmaster notify retry ID` sends again once the target is fixed)."""
    from trainmaster.notify.outbox import listing

    with store.transaction() as session:
        dead = [m.as_dict() for m in listing(session, "dead", limit=50)]
        pending = [m.as_dict() for m in listing(session, "pending", limit=50)]
    return {"dead": dead, "pending": pending}


@pages.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, done: str = "") -> HTMLResponse:
    context = {"title": "Jobs", "jobs": jobs_view(request), "done": done[:40],
               "min_reason": site_of(request).policy.authorization.reason_min_length}  # fmt: skip
    return render(request, "jobs.html", context)


@pages.post("/jobs/{job_id}/{verb}", response_class=HTMLResponse)
def change_job(
    request: Request,
    session: Signed,
    job_id: int,
    verb: str,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
) -> RedirectResponse:
    check_csrf(session, csrf)
    changed = _change(request, session.person.login, job_id, verb, reason)
    return RedirectResponse(f"/jobs?done={verb}+{changed.key}", status_code=303)


class JobChangeBody(BaseModel):
    reason: str = Field(..., max_length=MAX_REASON, description="Why (audited).")


@api.get("/v1/jobs")
def get_jobs(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    return jobs_view(request, limit)


@api.post("/v1/jobs/{job_id}/{verb}")
def post_job_change(request: Request, person: Caller, job_id: int, verb: str,
                    body: JobChangeBody) -> dict[str, Any]:  # fmt: skip
    return _change(request, person.login, job_id, verb, body.reason).as_json()


def _change(request: Request, actor: str, job_id: int, verb: str, reason: str) -> Job:
    from trainmaster.jobs.use_cases import JobChange, cancel_job, retry_job
    from trainmaster.web.problems import Problem

    use_case = {"retry": retry_job, "cancel": cancel_job}.get(verb)
    if use_case is None:
        raise Problem(404, "not found", f"no job action {verb!r} (retry or cancel)")
    site = site_of(request)
    change = JobChange(str(job_id), actor, reason)
    return use_case(site.store, site.backends.authorizer, change).job
