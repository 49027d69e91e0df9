"""Hostile policy files: each becomes one located PolicyError (exit 2), never another exception,
and the limits are checked before the work they bound."""

from __future__ import annotations

import pytest

from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.config.yamlsource import MAX_ALIASES, MAX_DEPTH, MAX_NODES, MAX_SCALAR_DIGITS
from trainmaster.errors import ExitCode, PolicyError

SEED = seed_policy_text("acme", "maestro")


def error_of(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "trainmaster.yaml")
    assert info.value.exit_code == ExitCode.USAGE
    assert "\n" not in info.value.message
    return info.value.message


def test_a_nul_byte_names_its_line_and_column() -> None:
    message = error_of("version: 1\nrepos: [a/b]\nname: x\x00y\n")
    assert message.startswith("trainmaster.yaml:3:8: invalid YAML:")
    assert "#x0000" in message


def test_a_thousand_nested_lists_stop_at_the_depth_limit() -> None:
    message = error_of("x: " + "[" * 1000 + "]" * 1000 + "\n")
    assert message.startswith("trainmaster.yaml:1:")
    assert f"nested deeper than {MAX_DEPTH} levels" in message


def test_nesting_just_under_the_limit_is_only_a_schema_question() -> None:
    message = error_of("x: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n")
    assert "nested deeper" not in message
    assert "unknown key 'x'" in message


def test_a_4301_digit_integer_is_refused_by_its_length() -> None:
    message = error_of("version: 1\nrepos: [a/b]\nx: " + "9" * 4301 + "\n")
    assert message.startswith("trainmaster.yaml:3:4:")
    assert f"longer than {MAX_SCALAR_DIGITS} characters" in message


def test_a_long_quoted_string_is_not_a_number() -> None:
    message = error_of("x: '" + "9" * 4301 + "'\n")
    assert "longer than" not in message


def test_an_alias_bomb_stops_at_the_node_budget() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    message = error_of("\n".join(lines) + "\n")
    assert f"more than {MAX_NODES} values" in message


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    assert f"more than {MAX_ALIASES} aliases" in error_of(text)


def test_a_document_over_the_size_limit_is_not_parsed() -> None:
    assert "larger than" in error_of("# " + "x" * 2_000_001 + "\n")


def test_a_300_character_time_zone_is_an_unknown_zone() -> None:
    text = SEED.replace("timezone: UTC", f"timezone: {'Z' * 300}")
    assert text != SEED
    message = error_of(text)
    assert "train.cadence: unknown IANA time zone" in message


def test_a_huge_wait_is_a_range_error_not_an_overflow() -> None:
    text = SEED.replace("wait_timer: 10m", "wait_timer: 99999999999w")
    message = error_of(text)
    assert "governance.environments.prod.wait_timer" in message
    assert "too long" in message


@pytest.mark.parametrize(
    "text",
    ["x: " + "[" * 1000 + "]" * 1000 + "\n", "version: \x00\n", "version: " + "9" * 4301 + "\n"],
)
def test_the_cli_prints_one_line_and_exits_2(cli, tmp_path, text: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_text(text, encoding="utf-8")
    result = cli("validate")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert result.err.count("error:") == 1
    assert result.err.startswith("error: trainmaster.yaml:1:")


def test_a_huge_file_is_refused_before_it_is_read(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "trainmaster.yaml").write_bytes(b"#" * 1_000_001)
    result = cli("validate")
    assert result.code == 2
    assert "larger than 1000000 bytes" in result.err


def test_an_alias_inside_its_own_anchor_stops_at_the_depth_limit() -> None:
    assert f"nested deeper than {MAX_DEPTH} levels" in error_of("x: &a [*a]\n")


def test_a_key_with_a_newline_or_a_bracket_still_gives_one_located_line() -> None:
    message = error_of('"bad\\nkey": 1\n')
    assert message == (
        "trainmaster.yaml:1:1: bad\\nkey: unknown key 'bad\\nkey'; allowed here: "
        + message.split("allowed here: ")[1]
    )
    assert "unknown key '[a'" in error_of('"[a": 1\n')
