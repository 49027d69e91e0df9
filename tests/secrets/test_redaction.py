"""trainmaster's own logs, errors and tracebacks pass through the one redaction filter."""

from __future__ import annotations

import io
import logging
import secrets
import sys
import traceback

import pytest

from trainmaster import redaction

SECRET = "s3cr" + "et-value-" + "0123456789"


@pytest.fixture(autouse=True)
def _installed() -> None:
    redaction.install()
    redaction.register_secret(SECRET)


def test_log_records_are_redacted_on_any_logger_and_handler() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("some.library.added.later")
    logger.addHandler(handler)
    try:
        logger.warning("calling https://api.example.invalid?token=%s", SECRET)
        try:
            raise RuntimeError(f"401 for {SECRET}")
        except RuntimeError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert SECRET not in text
    assert text.count(redaction.MASK) >= 2 and "RuntimeError: 401 for ***" in text


def test_uncaught_tracebacks_are_redacted(cli, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    cli("secrets", "check", "--help")  # Typer installs its own excepthook on every run
    capsys.readouterr()
    try:
        raise ValueError(f"bad {SECRET}")
    except ValueError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "ValueError: bad ***" in err and SECRET not in err


def test_install_is_idempotent() -> None:
    factory = logging.getLogRecordFactory()
    redaction.install()
    assert logging.getLogRecordFactory() is factory


def test_cli_errors_are_redacted(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    result = cli("secrets", "check", f"/nonexistent/{SECRET}")
    assert result.code == 2 and "/nonexistent/***" in result.err and SECRET not in result.err


# --- each rule of the filter on its own (pinned by `make mutate MODULE=redaction`) ---


def test_overlapping_secrets_are_masked_whole_whichever_was_registered_first() -> None:
    inner = "zq7Kx2"  # sorts after the outer one: only longest-first masks the outer whole
    outer = "aa-zq7Kx2-bb91"
    redaction.register_secret(inner)
    redaction.register_secret(outer)
    assert redaction.redact(f"token={outer};") == "token=***;"
    assert redaction.redact(f"token={inner};") == "token=***;"


def test_six_characters_is_the_shortest_secret_masked() -> None:
    # fresh values: the registry is process-wide, and an earlier test's value would stay masked
    five, six = "J" + secrets.token_hex(2), "Wv" + secrets.token_hex(2)
    redaction.register_secret(five)
    redaction.register_secret(six)
    assert redaction.redact(f"a {five} b") == f"a {five} b"
    assert redaction.redact(f"a {six} b") == "a *** b"


def test_the_logging_filter_passes_the_record_cleaned() -> None:
    record = logging.LogRecord("any", logging.INFO, __file__, 1, "token=%s", (SECRET,), None)
    assert redaction.RedactingFilter().filter(record) is True
    assert record.getMessage() == "token=***"


def test_a_logged_traceback_is_the_formatters_own_redacted() -> None:
    try:
        raise RuntimeError(f"401 for {SECRET}")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("any", logging.ERROR, __file__, 1, "failed", None, exc_info)
    redaction.RedactingFilter().filter(record)
    plain = logging.Formatter().formatException(exc_info)
    assert record.exc_text == plain.replace(SECRET, redaction.MASK)
    assert "Traceback (most recent call last)" in plain and SECRET in plain


def test_the_writer_redacts_counts_what_it_was_given_and_is_otherwise_its_stream() -> None:
    stream = io.StringIO()
    writer = redaction.RedactingWriter(stream)
    assert writer.write(f"key {SECRET}\n") == len(f"key {SECRET}\n")
    writer.flush()
    assert writer.getvalue() == "key ***\n"  # an attribute the writer does not define
    assert writer.isatty() is False


def test_install_from_a_clean_process_redacts_new_records_and_uncaught_tracebacks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = logging.getLogRecordFactory()
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    logging.setLogRecordFactory(logging.LogRecord)
    try:
        redaction.install()
        factory = logging.getLogRecordFactory()
        redaction.install()
        assert logging.getLogRecordFactory() is factory is not logging.LogRecord
        record = logging.getLogger("fresh").makeRecord(
            "fresh", logging.INFO, __file__, 1, "token=%s", (SECRET,), None
        )
    finally:
        logging.setLogRecordFactory(before)
    assert record.getMessage() == "token=***" and record.name == "fresh"
    hook = sys.excepthook
    redaction.install()
    assert sys.excepthook is hook is not sys.__excepthook__
    try:
        raise ValueError(f"bad {SECRET}")
    except ValueError:
        kind, value, tb = sys.exc_info()
    hook(kind, value, tb)  # type: ignore[arg-type]
    plain = "".join(traceback.format_exception(kind, value, tb))
    assert "Traceback (most recent call last)" in plain
    assert capsys.readouterr().err == plain.replace(SECRET, redaction.MASK)
