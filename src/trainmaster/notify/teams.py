"""A Microsoft Teams message (an Adaptive Card in a message attachment, as Teams workflow
webhooks take it) for one event: purely computational."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainmaster.notify.render import summarize

CARD_VERSION = "1.4"  # the newest version Teams renders everywhere
TEXT_MAX = 20000


def teams_message(event: Mapping[str, Any]) -> dict[str, Any]:
    summary = summarize(event)
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": summary.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
    ]
    if summary.fields:
        facts = [{"title": k, "value": v} for k, v in summary.fields]
        body.append({"type": "FactSet", "facts": facts})
    if summary.text:
        body.append({"type": "TextBlock", "text": summary.text[:TEXT_MAX], "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if summary.link:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "Open the train", "url": summary.link}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
