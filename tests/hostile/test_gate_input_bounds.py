"""Hostile gate inputs (k6, Locust, migrations JSON; JUnit XML) and hostile PromQL in the policy:
each is one located line and exit 2, never a traceback, and the limits are checked first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainmaster.config import parse_policy
from trainmaster.config.limits import MAX_QUERY_DEPTH
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError, UsageError
from trainmaster.gates.inputs import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    LoadLimits,
    parse_k6,
    parse_locust,
    parse_migrations,
)
from trainmaster.gates.junit import MAX_XML_BYTES, parse_junit

LIMITS = LoadLimits(max_error_ratio=0.01, max_p95_seconds=1.0)


def _k6(threshold: object) -> str:
    return json.dumps({"metrics": {"http_req_failed": {"thresholds": {"rate<0.01": threshold}}}})


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_k6, '{"metrics": {"m": {"value": 1e999}}}', "number out of range"),
        (parse_k6, '{"metrics": {"m": {"value": NaN}}}', "'NaN' is not JSON"),
        (parse_k6, '{"metrics": {"m": {"value": -Infinity}}}', "'-Infinity' is not JSON"),
        (parse_k6, '{"metrics": ' + "9" * 4301 + "}", "longer than"),
        (parse_k6, "[" * 100_000 + "]" * 100_000, f"nested deeper than {MAX_JSON_DEPTH}"),
        (parse_k6, '{"metrics": []}', "no 'metrics' object"),
        (parse_k6, _k6("yes"), "expected true/false"),
        (parse_locust, '[{"num_requests": 1e999, "num_failures": 0}]', "number out of range"),
        (parse_locust, '[{"num_requests": "x", "num_failures": 0}]', "malformed Locust"),
        (
            parse_locust,
            '[{"num_requests": 1, "num_failures": 0, "response_times": [1, 2]}]',
            "malformed Locust",
        ),
        (parse_locust, '[{"num_requests": -5, "num_failures": 0}]', "malformed Locust"),
        (parse_migrations, '{"breaches": "none"}', "'breaches' list"),
        (parse_migrations, '{"breaches": [], "ok": "yes"}', "'ok' must be"),
        (parse_migrations, "[" * 5000 + "]" * 5000, "nested deeper"),
    ],
)
def test_bad_json_is_one_usage_error(parse, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError) as info:
        parse(text, "in.json") if parse is not parse_locust else parse(text, LIMITS, "in.json")
    assert info.value.message.startswith("in.json: ")
    assert message in info.value.message
    assert "\n" not in info.value.message


def test_json_over_the_size_limit_is_refused_unread() -> None:
    with pytest.raises(UsageError, match=f"larger than {MAX_JSON_BYTES} bytes"):
        parse_migrations(" " * (MAX_JSON_BYTES + 1), "in.json")


def test_nesting_at_the_limit_is_read() -> None:
    deep = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    result = parse_migrations(json.dumps({"breaches": []})[:-1] + ', "x": ' + deep + "}", "m")
    assert result.ok is True


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>
<testsuite><testcase name="&i;"/></testsuite>"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BOMB, "a DTD is not allowed"),
        ('<!DOCTYPE x SYSTEM "file:///etc/passwd"><testsuite/>', "a DTD is not allowed"),
        ("<testsuite>" + "<a>" * 100_000 + "</a>" * 100_000 + "</testsuite>", "nested deeper"),
        ("<testsuite><testcase name='\x00'/></testsuite>", "malformed XML"),
        (" " * (MAX_XML_BYTES + 1), "larger than"),
    ],
)
def test_hostile_junit_is_one_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_junit(text, "smoke.xml")
    assert info.value.message.startswith("smoke.xml: ")
    assert message in info.value.message


def test_ordinary_junit_still_reads() -> None:
    text = '<testsuites><testsuite><testcase classname="a" name="b"/></testsuite></testsuites>'
    assert parse_junit(text, "smoke.xml").ok is True


def _nested_query(depth: int) -> str:
    return "abs(" * depth + "up" + ")" * depth


def test_a_policy_query_nested_400_deep_is_a_located_policy_error() -> None:
    text = seed_policy_text().replace(
        "errors_query: ", f"errors_query: '{_nested_query(400)}' # ", 1
    )
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "trainmaster.yaml")
    message = info.value.message
    assert message.startswith("trainmaster.yaml:")
    assert f"signals.burn-rate.errors_query: PromQL nested deeper than {MAX_QUERY_DEPTH}" in message


def test_a_query_at_the_depth_limit_is_accepted() -> None:
    text = seed_policy_text().replace(
        "errors_query: ", f"errors_query: '{_nested_query(MAX_QUERY_DEPTH - 1)}' # ", 1
    )
    assert parse_policy(text, "trainmaster.yaml")


def test_the_gate_cli_shows_one_line_for_hostile_inputs(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(seed_policy_text(), encoding="utf-8")
    (tmp_path / "k6.json").write_text('{"metrics": {"m": {"value": 1e999}}}')
    result = cli(
        "gate",
        "run",
        "--env",
        "stage",
        "--service",
        "s",
        "--prometheus",
        "http://127.0.0.1:9",
        "--only",
        "load",
        "--k6",
        "k6.json",
    )
    assert result.code == 2
    assert "Traceback" not in result.err
    assert result.err.strip() == "error: k6.json: number out of range: '1e999'"


def test_the_embedded_engine_refuses_deep_queries_before_parsing() -> None:
    from trainmaster.gates.promql import Unsupported, parse

    with pytest.raises(Unsupported, match="nested deeper"):
        parse(_nested_query(400))
    assert parse("sum(" * (MAX_QUERY_DEPTH - 1) + "up" + ")" * (MAX_QUERY_DEPTH - 1))


@pytest.mark.parametrize("query", ['label_replace(up, "\\x", "", "", "")', "0x" + "f" * 300])
def test_what_the_embedded_parser_cannot_read_is_unsupported(query: str) -> None:
    from trainmaster.gates.promql import Unsupported, parse

    with pytest.raises(Unsupported, match="cannot read the query"):
        parse(query)
