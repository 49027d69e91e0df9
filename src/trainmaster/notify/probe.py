"""`notify test`: a sample of each event a target receives, sent once (or only shown)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainmaster.config.model import Policy
from trainmaster.config.notify import NotifyTarget
from trainmaster.notify.routing import message_id
from trainmaster.notify.samples import sample_events


def probe(policy: Policy, policy_path: Path, name: str, *, dry_run: bool) -> list[dict[str, Any]]:
    from trainmaster.notify.deliver import send_message
    from trainmaster.notify.secrets import target_secret

    target = policy.notify.target(name)
    index = policy.notify.targets.index(target)
    events = [
        e for e in sample_events(policy) if "*" in target.events or e["type"] in target.events
    ]
    if dry_run:
        return [{"type": e["type"], "payload": payload(target, e)} for e in events]
    secret = target_secret(target, index, policy_path)
    results = []
    for event in events:
        attempt = send_message(target, secret, message_id(event["id"], name), event)
        results.append({"type": event["type"], "ok": attempt.ok, "error": attempt.error})
    return results


def payload(target: NotifyTarget, event: dict[str, Any]) -> Any:
    """What the target would receive (the body; a webhook's signature headers are computed at
    send time from the secret, which a dry run does not read)."""
    if target.type == "slack":
        from trainmaster.notify.slack import slack_message

        return slack_message(event, target.channel)
    if target.type == "teams":
        from trainmaster.notify.teams import teams_message

        return teams_message(event)
    if target.type == "email":
        from trainmaster.notify.email import email_message

        assert target.smtp is not None
        mail = email_message(target.smtp, message_id(event["id"], target.name), event)
        parts = {p.get_content_subtype(): p.get_content() for p in mail.iter_parts()}
        return {"subject": mail["Subject"], "to": mail["To"], **parts}
    return event
