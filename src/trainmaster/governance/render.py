"""Plans for people and machines: table rows, the `--json` document, `gh api` commands."""

from __future__ import annotations

import json
import re
import shlex
from urllib.parse import urlsplit

from trainmaster.governance.model import Json, Outcome, RepoPlan


def plan_json(plans: list[RepoPlan]) -> Json:
    repos = []
    for p in plans:
        item: Json = {"repo": p.repo, "actions": [a.as_json() for a in p.actions]}
        if p.error:
            item["error"] = p.error
        repos.append(item)
    return {"repos": repos}


def rows(plans: list[RepoPlan]) -> list[tuple[str, str, str, str]]:
    """(repo, op, resource, what changes) — one row per action, one per failed repo."""
    out = []
    for p in plans:
        if p.error:
            out.append((p.repo, "error", "", p.error))
        for a in p.actions:
            out.append((p.repo, a.op, a.resource, ", ".join(a.changes)))
    return out


def outcome_json(outcomes: list[Outcome]) -> Json:
    return {
        "repos": [
            {
                "repo": o.repo,
                "landed": [a.as_json() for a in o.landed],
                "failed": o.failed.as_json() if o.failed else None,
                "not_attempted": [a.as_json() for a in o.skipped],
                "error": o.error,
            }
            for o in outcomes
        ]
    }


def explain(plans: list[RepoPlan], api_url: str) -> str:
    """A runnable shell script of `gh api` calls, bodies passed with `--input FILE.json`."""
    host = urlsplit(api_url).netloc
    hostname = "" if host == "api.github.com" else f" --hostname {shlex.quote(host)}"
    lines = ["#!/usr/bin/env bash", "set -euo pipefail"]
    for p in plans:
        if p.error:
            lines.append(f"# {p.repo}: not planned: {p.error}")
            continue
        for n, a in enumerate(p.actions, start=1):
            lines.append(f"# {p.repo}: {a.op} {a.resource}")
            command = (
                f"gh api{hostname} --method {a.method} "
                f"-H 'X-GitHub-Api-Version: 2022-11-28' {shlex.quote(a.path.lstrip('/'))}"
            )
            if a.body is not None:
                name = f"{_slug(p.repo)}-{n:02d}.json"
                lines.append(f"cat > {name} <<'JSON'")
                lines.append(json.dumps(a.body, indent=2))
                lines.append("JSON")
                command += f" --input {name}"
            lines.append(command)
    return "\n".join(lines) + "\n"


def _slug(repo: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", repo)
