"""A Slack message (Block Kit) for one event: purely computational.

Limits from Slack's Block Kit reference: a section's text is at most 3000 characters, a header's
150, at most 10 fields of 2000 each, 50 blocks per message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainmaster.notify.render import Summary, summarize

SECTION_MAX, HEADER_MAX, FIELD_MAX, FIELDS_MAX = 3000, 150, 2000, 10


def slack_message(event: Mapping[str, Any], channel: str | None = None) -> dict[str, Any]:
    summary = summarize(event)
    message: dict[str, Any] = {"text": _cut(summary.title, SECTION_MAX), "blocks": blocks(summary)}
    if channel:
        message["channel"] = channel
    return message


def blocks(summary: Summary) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(summary.title, HEADER_MAX)}}
    ]
    fields = [
        {"type": "mrkdwn", "text": _cut(f"*{_escape(k)}*\n{_escape(v)}", FIELD_MAX)}
        for k, v in summary.fields[:FIELDS_MAX]
    ]
    if fields:
        out.append({"type": "section", "fields": fields})
    if summary.text:
        out.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cut(_escape(summary.text), SECTION_MAX)},
            }
        )
    if summary.link:
        link = f"<{summary.link}|Open the train>"
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link}]})
    return out


def _escape(text: str) -> str:
    # Slack's mrkdwn reserves these three; everything else is shown as written.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
