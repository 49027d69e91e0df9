"""Delivering the outbox: claim what is due, send it outside any transaction, record the outcome.

At least once: a row is marked sent only after its receiver acknowledged it; a crash between the
send and the record sends it again (same `webhook-id`, so the receiver can tell). A failing or
slow target only delays its own messages; after `max_attempts` a message is dead-lettered.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from trainmaster.config.model import Policy
from trainmaster.config.notify import NotifyTarget
from trainmaster.errors import PolicyError
from trainmaster.notify.outbox import DEAD, PENDING, SENT, Message, claim, due, record_attempt
from trainmaster.notify.retry import next_delay
from trainmaster.notify.send import SLACK_API, Attempt, http_request, post
from trainmaster.store import Store

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    problems: list[PolicyError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "dead": self.dead,
            "problems": [p.message for p in self.problems],
        }


class Deliverer:
    def __init__(
        self,
        policy: Policy,
        policy_path: Path,
        store: Store,
        *,
        slack_api: str = SLACK_API,
        jitter: Callable[[], float] = random.random,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.policy, self.policy_path, self.store = policy, policy_path, store
        self.slack_api, self.jitter, self.now = slack_api, jitter, now
        self.targets = {t.name: (i, t) for i, t in enumerate(policy.notify.targets)}
        self._secrets: dict[str, str | PolicyError | None] = {}
        self._client: httpx.Client | None = None

    def run(self, *, within: float | None = None, limit: int = 500) -> DeliveryReport:
        """Attempt every due message once. With `within`, the run ends after about that many
        seconds: no attempt starts later, and none waits past it for an answer (a cut-short
        attempt is a timeout, retried later); what is left stays pending for the next run."""
        report = DeliveryReport()
        deadline = None if within is None else time.monotonic() + within
        with self.store.transaction() as session:
            todo = due(session, self.now(), limit)
        with httpx.Client(follow_redirects=False, trust_env=False) as self._client:
            for message in todo:
                budget = None if deadline is None else deadline - time.monotonic()
                if budget is not None and budget <= 0:
                    break
                self.attempt(message, report, budget)
        return report

    def attempt(
        self, message: Message, report: DeliveryReport, budget: float | None = None
    ) -> None:
        found = self.targets.get(message.target)
        if found is None:
            self._record(message, Attempt(False, False, "target no longer in the policy"), report)
            return
        index, target = found
        lease = timedelta(seconds=target.timeout.total_seconds() * 3 + 30)
        with self.store.transaction() as session:
            if not claim(session, message, lease, self.now()):
                return  # another deliverer has it
        secret = self._secret(index, target)
        if isinstance(secret, PolicyError):
            if secret not in report.problems:
                report.problems.append(secret)
            result = Attempt(False, True, secret.message)
        else:
            result = send_message(
                target, secret, message.id, message.event, self.slack_api, self._client, budget
            )
        self._record(message, result, report, target)

    def _secret(self, index: int, target: NotifyTarget) -> str | PolicyError | None:
        from trainmaster.notify.secrets import target_secret

        if target.name not in self._secrets:
            try:
                self._secrets[target.name] = target_secret(target, index, self.policy_path)
            except PolicyError as e:
                self._secrets[target.name] = e
        return self._secrets[target.name]

    def _record(
        self,
        message: Message,
        result: Attempt,
        report: DeliveryReport,
        target: NotifyTarget | None = None,
    ) -> None:
        now = self.now()
        attempts = message.attempts + 1
        if result.ok:
            status, next_at, bucket = SENT, None, report.sent
        elif result.temporary and target is not None and attempts < target.max_attempts:
            delay = next_delay(attempts, self.jitter(), result.retry_after)
            status, next_at, bucket = PENDING, now + timedelta(seconds=delay), report.retrying
        else:
            status, next_at, bucket = DEAD, None, report.dead
        with self.store.transaction() as session:
            record_attempt(
                session, message.id, status=status, error=result.error, next_at=next_at, now=now
            )
        bucket.append(message.id)
        if not result.ok:
            log.warning(
                "notify %s → %s: %s (%s)", message.event_type, message.target, result.error, status
            )


def send_message(
    target: NotifyTarget,
    secret: str | None,
    message_id: str,
    event: Mapping[str, Any],
    slack_api: str = SLACK_API,
    client: httpx.Client | None = None,
    budget: float | None = None,
) -> Attempt:
    """One attempt to one target, waiting at most its timeout (or the budget, when shorter)."""
    timeout = target.timeout.total_seconds()
    if budget is not None:
        timeout = max(min(timeout, budget), 0.1)
    if target.type == "email":
        from trainmaster.notify.email import email_message, send_email

        assert target.smtp is not None
        mail = email_message(target.smtp, message_id, event)
        return send_email(target.smtp, secret, mail, timeout)
    request = http_request(target, secret, message_id, event, slack_api=slack_api)
    slack_api_reply = target.type == "slack" and bool(target.channel)
    return post(request, timeout, slack_api_reply=slack_api_reply, client=client)
