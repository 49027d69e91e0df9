"""Rendering pages: one Jinja2 environment with autoescaping on, so every value a page shows
(commit subjects, reasons, names) is escaped wherever it appears."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from trainmaster.web.svg import format_value


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("trainmaster.web", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["value"] = format_value
    env.filters["short"] = lambda text, n=19: (text or "-")[-n:] if text else "-"
    return env


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    from trainmaster.web.auth import session_of

    session = session_of(request)
    page = (
        environment()
        .get_template(template)
        .render(
            {
                "request_path": request.url.path,
                "person": session.person if session else None,
                "csrf": session.csrf if session else "",
                "seq": 0,
                **context,
            }
        )
    )
    return HTMLResponse(page, status_code=status)
