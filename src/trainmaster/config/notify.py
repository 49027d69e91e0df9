"""The `notify:` policy section: where notifications go (Slack, Teams, email, signed webhooks) and
which events, lanes and stages each target receives (docs/notifications.md).

Secrets (webhook signing keys, Slack URLs and bot tokens, SMTP passwords) are never written in the
policy: a target names an environment variable (`secret_env`) or a file (`secret_file`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from trainmaster.config.base import Strict
from trainmaster.config.types import Duration

EVENT_TYPES = (
    "train.scheduled",
    "approval.requested",
    "train.promoted",
    "train.rolled_back",
    "gate.failed",
    "train.released",
    "drift.detected",
)
LANES = ("scheduled", "hotfix")
TARGET_NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Smtp(Strict):
    """An SMTP relay. STARTTLS is required unless `starttls: false` (a loopback relay only)."""

    host: str = Field(min_length=1, max_length=253)
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = Field(True, description="Upgrade with STARTTLS before logging in.")
    username: str | None = Field(None, description="Login; the password is the target's secret.")
    sender: str = Field(alias="from", min_length=3, max_length=320)
    to: list[str] = Field(min_length=1, max_length=50)
    ca_file: str | None = Field(None, description="CA bundle (PEM) to trust for the relay.")

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c in address for c in "\r\n, "):
                raise ValueError(f"{address!r} is not one email address")
        return value


Lane = Literal["scheduled", "hotfix"]


def _every_lane() -> list[Lane]:
    return ["scheduled", "hotfix"]


class NotifyTarget(Strict):
    """One destination and its routing. Unset `events`/`lanes`/`stages` mean all of them."""

    name: str = Field(pattern=TARGET_NAME)
    type: Literal["slack", "teams", "email", "webhook"]
    url: str | None = Field(
        None,
        description="Endpoint (webhook, teams). For Slack the incoming-webhook URL is a secret: "
        "give it with secret_env/secret_file instead.",
    )
    secret_env: str | None = Field(
        None,
        pattern=ENV_NAME,
        description="Environment variable holding the secret: whsec_… (webhook), the Slack "
        "incoming-webhook URL or xoxb- bot token, the Teams workflow URL, the SMTP password.",
    )
    secret_file: str | None = Field(None, description="File holding the secret (relative: policy).")
    channel: str | None = Field(
        None, description="Slack channel for a bot token (chat.postMessage)."
    )
    smtp: Smtp | None = None
    events: list[str] = Field(default_factory=lambda: ["*"], max_length=len(EVENT_TYPES))
    lanes: list[Lane] = Field(default_factory=_every_lane)
    stages: list[str] = Field(default_factory=list, description="Empty: every stage.")
    timeout: Duration = Field(
        timedelta(seconds=5),
        description="Per attempt; short, so a slow receiver never holds a command for long.",
    )
    max_attempts: int = Field(8, ge=1, le=50, description="Then the message is dead-lettered.")

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        for name in value:
            if name != "*" and name not in EVENT_TYPES:
                import difflib

                hint = difflib.get_close_matches(name, EVENT_TYPES, n=1)
                more = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ValueError(f"unknown event {name!r}{more}")
        return value

    @model_validator(mode="after")
    def _shape(self) -> NotifyTarget:
        if self.secret_env and self.secret_file:
            raise ValueError("give secret_env or secret_file, not both")
        if self.url is not None:
            _check_url(self.url, self.type)
        kind = f"{'an' if self.type == 'email' else 'a'} {self.type} target"
        for key in _REQUIRED[self.type]:
            if key == "secret" and not (self.secret_env or self.secret_file):
                raise ValueError(f"{kind} needs secret_env or secret_file")
            if key in ("url", "smtp") and getattr(self, key) is None:
                raise ValueError(f"{kind} needs {key}")
        if self.type == "teams" and not (self.url or self.secret_env or self.secret_file):
            raise ValueError("a teams target needs url, or the URL in secret_env/secret_file")
        if self.type != "email" and self.smtp is not None:
            raise ValueError("smtp is for email targets")
        if self.type != "slack" and self.channel is not None:
            raise ValueError("channel is for slack targets (with a bot token)")
        return self


_REQUIRED: dict[str, tuple[str, ...]] = {
    "webhook": ("url", "secret"),
    "slack": ("secret",),
    "teams": (),
    "email": ("smtp",),
}


def _check_url(url: str, kind: str) -> None:
    if kind == "slack":
        raise ValueError("a Slack webhook URL is a secret: use secret_env or secret_file")
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise ValueError("url must be https:// (plain http only on loopback)")
    if len(url) > 2048:
        raise ValueError("url is longer than 2048 characters")


class Notify(Strict):
    targets: list[NotifyTarget] = Field(default_factory=list, max_length=50)
    web_url: str | None = Field(
        None, description="Address of the trainmaster web UI; events link to {web_url}/trains/ID."
    )
    deliver_after_command: Duration = Field(
        timedelta(seconds=3),
        description="After each command, how long to wait for pending notifications to go out; "
        "what is left is delivered by the next run or `trainmaster notify deliver`.",
    )

    @field_validator("targets")
    @classmethod
    def _unique(cls, value: list[NotifyTarget]) -> list[NotifyTarget]:
        seen: set[str] = set()
        for target in value:
            if target.name in seen:
                raise ValueError(f"two targets are named {target.name!r}")
            seen.add(target.name)
        return value

    def target(self, name: str) -> NotifyTarget:
        from trainmaster.errors import UsageError

        for target in self.targets:
            if target.name == name:
                return target
        known = ", ".join(t.name for t in self.targets) or "none"
        raise UsageError(f"notify target {name!r} is not in the policy; known: {known}")
