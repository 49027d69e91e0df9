"""One redaction filter for every secret trainmaster resolved (tokens, webhook URLs, keys).

Anything that prints or logs passes text through `redact`; the logging filter does it for log
records. Secrets are registered when resolved, never stored.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from typing import Any

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "***"


def register_secret(value: str) -> None:
    # Very short values would mask ordinary words; secrets worth hiding are longer.
    if len(value) >= 6:
        with _lock:
            _secrets.add(value)


def known_secrets() -> list[str]:
    """The registered secrets, longest first (a secret containing another is masked whole)."""
    with _lock:
        return sorted(_secrets, key=len, reverse=True)


def redact(text: str) -> str:
    for secret in known_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        _clean(record)
        return True


def _clean(record: logging.LogRecord) -> None:
    record.msg = redact(record.getMessage())
    record.args = None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text when set: the traceback they print is the redacted one.
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())


class RedactingWriter:
    """A text stream that redacts what is written to it: rich consoles and JSON output write
    through one, so a secret echoed back by an API error body never reaches stdout or stderr."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno: the stream's own
        return getattr(self._stream, name)


def install() -> None:
    """Route every log record (any logger, any handler, added now or later) and every uncaught
    traceback through `redact`. Idempotent; the CLI calls it before and after each command
    (Typer installs its own excepthook whenever an app runs)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacting", False):

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = factory(*args, **kwargs)
            _clean(record)
            return record

        redacting_factory.redacting = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(redacting_factory)
    if not getattr(sys.excepthook, "redacting", False):
        sys.excepthook = _excepthook


def _excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))


_excepthook.redacting = True  # type: ignore[attr-defined]
