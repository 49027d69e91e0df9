"""The GitHub App manifest (GitHub docs, "Registering a GitHub App from a manifest"): what
`trainmaster app manifest` prints for one-click creation. The permissions are the least the
built features need; `docs/github-app.md` says what each one is for."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from trainmaster.errors import UsageError

WEBHOOK_PATH = "/webhooks/github"
# permission -> (access, why); the docs page renders the same reasons
PERMISSIONS: dict[str, tuple[str, str]] = {
    "actions": ("read", "read the workflow run a protection rule is for; workflow_run events"),
    "deployments": ("write", "answer custom deployment protection rules (GitHub requires it)"),
    "checks": ("read", "check_suite and check_run events: the ci-checks conclusion of a commit"),
    "contents": ("read", "push events and the commits a train is cut from"),
    "pull_requests": ("read", "pull_request events: previews up and down"),
    "metadata": ("read", "always granted to an App: repository names and ids"),
}
EVENTS = (
    "deployment_protection_rule",
    "pull_request",
    "check_suite",
    "check_run",
    "workflow_run",
    "push",
)


def manifest(base_url: str, name: str = "trainmaster") -> dict[str, Any]:
    """The manifest for a trainmaster served at `base_url` (https, or http on loopback)."""
    parts = urlsplit(base_url)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise UsageError(f"--url: {base_url!r} is not an https URL (GitHub posts webhooks to it)")
    if not 1 <= len(name) <= 34:
        raise UsageError(f"--name: GitHub App names are 1 to 34 characters, got {len(name)}")
    base = base_url.rstrip("/")
    return {
        "name": name,
        "url": base,
        "hook_attributes": {"url": base + WEBHOOK_PATH, "active": True},
        "redirect_url": base + "/",
        "public": False,
        "default_permissions": {name: access for name, (access, _) in PERMISSIONS.items()},
        "default_events": list(EVENTS),
    }
