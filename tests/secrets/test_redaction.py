"""trainmaster's own logs, errors and tracebacks pass through the one redaction filter."""

from __future__ import annotations

import io
import logging
import sys

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
