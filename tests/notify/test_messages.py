"""Every event, as each target receives it: the committed JSON schema, Slack Block Kit (checked
by slack_sdk's own models), the Teams Adaptive Card envelope, email text."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from slack_sdk.models.blocks import Block

from trainmaster.config import parse_policy
from trainmaster.config.notify import EVENT_TYPES
from trainmaster.config.seed import seed_policy_text
from trainmaster.notify.render import plain, summarize
from trainmaster.notify.samples import sample_events
from trainmaster.notify.slack import HEADER_MAX, SECTION_MAX, slack_message
from trainmaster.notify.teams import teams_message

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "notification-event.schema.json").read_text())
POLICY = parse_policy(seed_policy_text("acme", "maestro"))
SAMPLES = sample_events(POLICY)


def test_there_is_a_sample_of_every_event_and_each_matches_the_schema() -> None:
    assert [e["type"] for e in SAMPLES] == list(EVENT_TYPES)
    for event in SAMPLES:
        jsonschema.validate(event, SCHEMA, format_checker=jsonschema.FormatChecker())


def test_the_schema_refuses_an_event_missing_its_type_specific_data() -> None:
    event = json.loads(json.dumps(SAMPLES[3]))  # train.rolled_back
    del event["data"]["rollback"]["serving_digest"]
    with pytest.raises(jsonschema.ValidationError, match="serving_digest"):
        jsonschema.validate(event, SCHEMA)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e["type"])
def test_slack_blocks_are_valid_block_kit(event: dict[str, object]) -> None:
    message = slack_message(event, "#releases")
    assert message["channel"] == "#releases" and message["text"]
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()  # raises on any Block Kit limit or shape violation


def test_slack_cuts_long_text_to_block_kit_limits() -> None:
    event = json.loads(json.dumps(SAMPLES[5]))  # train.released
    event["data"]["notes"] = "- a change <with> & markup\n" * 500
    event["data"]["project"] = "p" * 300
    message = slack_message(event)
    for raw in message["blocks"]:
        Block.parse(raw).validate_json()  # type: ignore[union-attr]
    assert len(message["blocks"][0]["text"]["text"]) == HEADER_MAX
    body = message["blocks"][2]["text"]["text"]
    assert len(body) == SECTION_MAX and "&lt;with&gt; &amp;" in body


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e["type"])
def test_teams_gets_an_adaptive_card_attachment(event: dict[str, object]) -> None:
    message = teams_message(event)
    [attachment] = message["attachments"]
    assert message["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"][0]["text"] == summarize(event).title  # type: ignore[arg-type]
    facts = [b for b in card["body"] if b["type"] == "FactSet"]
    assert facts and all(b["facts"] for b in facts)
    assert all(f["title"] and f["value"] for b in facts for f in b["facts"])


def test_the_rollback_says_criterion_value_threshold_and_what_serves_now() -> None:
    text = plain(summarize(SAMPLES[3]))
    assert "Criterion: error-rate: 0.031 against threshold 0.02" in text
    assert "Now serving: sha256:" + "0" * 64 in text


def test_the_announcement_carries_the_seed_template_fields() -> None:
    fields = dict(summarize(SAMPLES[0]).fields)
    assert set(fields) >= {"Impact", "Risk & rollback", "Owner & on-call", "Migrations & flags"}
    assert fields["Risk & rollback"].startswith("risk low; trainmaster rollback")


ADAPTIVE_CARDS = ROOT / ".cache/adaptivecards/package/dist/adaptivecards.js"


def adaptive_card_problems(cards: list[dict[str, object]]) -> list[list[str]]:
    """Parse with Microsoft's Adaptive Cards library (`make servers` fetches it)."""
    assert ADAPTIVE_CARDS.exists(), "run `make servers` (fetches the adaptivecards npm package)"
    done = subprocess.run(
        ["node", str(Path(__file__).with_name("adaptive_cards.js")), str(ADAPTIVE_CARDS)],
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    problems: list[list[str]] = json.loads(done.stdout)
    return problems


def test_teams_cards_parse_cleanly_with_the_adaptive_cards_library() -> None:
    cards = [teams_message(e)["attachments"][0]["content"] for e in SAMPLES]
    linked = json.loads(json.dumps(SAMPLES[2]))
    linked["data"]["link"] = "https://trainmaster.example.com/trains/v1"
    cards.append(teams_message(linked)["attachments"][0]["content"])
    assert adaptive_card_problems(cards) == [[] for _ in cards]


def test_the_adaptive_cards_check_catches_a_bad_card() -> None:
    card = teams_message(SAMPLES[0])["attachments"][0]["content"]
    card["body"][0]["weight"] = "Boldest"
    card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the train"}]
    assert adaptive_card_problems([card]) == [
        ['Invalid value "Boldest" for property "weight".', 'Property "url" must be set.']
    ]
