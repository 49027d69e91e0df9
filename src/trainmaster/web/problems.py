"""Errors as RFC 9457 problem details: `application/problem+json` with type, title, status and
detail (plus `reasons` when a rule refused). Each trainmaster error maps to one status."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from trainmaster.errors import (
    CheckFailed,
    ConflictError,
    ExternalError,
    Inconclusive,
    Refused,
    TrainmasterError,
    UsageError,
)

MEDIA_TYPE = "application/problem+json"
_STATUS: tuple[tuple[type[TrainmasterError], int, str], ...] = (
    (ConflictError, 409, "conflict"),
    (Refused, 403, "refused"),
    (ExternalError, 503, "unavailable"),
    (CheckFailed, 422, "check-failed"),
    (Inconclusive, 422, "inconclusive"),
    (UsageError, 400, "bad-request"),
)


class Problem(Exception):
    """A response that is a problem: raise it anywhere in a request."""

    def __init__(self, status: int, title: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra

    def body(self) -> dict[str, Any]:
        slug = self.title.lower().replace(" ", "-")
        return {
            # A URN: it names the problem kind without pretending to be a page to fetch.
            "type": f"urn:trainmaster:problem:{slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


def from_error(error: TrainmasterError) -> Problem:
    for kind, status, title in _STATUS:
        if isinstance(error, kind):
            extra: dict[str, Any] = {}
            if isinstance(error, Refused):
                extra["reasons"] = [r.as_json() for r in error.reasons]
            elif isinstance(error, ConflictError):
                extra["reasons"] = [{"rule": "conflict", "message": error.message}]
            return Problem(status, title, error.message, **extra)
    return Problem(500, "error", error.message)


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, media_type=MEDIA_TYPE)
