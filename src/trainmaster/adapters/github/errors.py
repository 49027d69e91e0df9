"""GitHub API failures mapped to trainmaster's error tree (never carrying a token)."""

from __future__ import annotations

from typing import Any

from trainmaster.errors import ExternalError


class GitHubError(ExternalError):
    """A GitHub API call failed. `status` is 0 when no response arrived."""

    def __init__(
        self, message: str, *, status: int = 0, method: str = "", path: str = "", temporary: bool
    ) -> None:
        super().__init__(message, temporary=temporary)
        self.status = status
        self.method = method
        self.path = path


class NotFound(GitHubError):
    pass


def describe(status: int, body: Any) -> str:
    """GitHub's own explanation of a failure: the message and each field error."""
    if not isinstance(body, dict):
        return f"HTTP {status}"
    parts = [str(body.get("message") or f"HTTP {status}")]
    for err in body.get("errors") or []:
        if isinstance(err, dict):
            field = err.get("field") or err.get("resource") or ""
            text = err.get("message") or err.get("code") or ""
            parts.append(f"{field}: {text}".strip(": "))
        else:
            parts.append(str(err))
    return "; ".join(p for p in parts if p)


def for_status(status: int, method: str, path: str, body: Any) -> GitHubError:
    """The most specific error for an HTTP failure; 5xx and limits are temporary."""
    detail = describe(status, body)
    where = f"{method} {path}"
    if status == 404:
        return NotFound(
            f"{where}: not found (or the token cannot see it): {detail}",
            status=status,
            method=method,
            path=path,
            temporary=False,
        )
    hints = {
        401: "bad credentials",
        403: "forbidden (missing permission)",
        422: "rejected by GitHub",
    }
    hint = hints.get(status, "failed")
    return GitHubError(
        f"{where}: {hint} (HTTP {status}): {detail}",
        status=status,
        method=method,
        path=path,
        temporary=status >= 500 or status == 429,
    )
