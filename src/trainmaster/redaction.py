"""One redaction filter for every secret trainmaster resolved (tokens, webhook URLs, keys).

Anything that prints or logs passes text through `redact`; the logging filter does it for log
records. Secrets are registered when resolved, never stored.
"""

from __future__ import annotations

import logging
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "***"


def register_secret(value: str) -> None:
    # Very short values would mask ordinary words; secrets worth hiding are longer.
    if len(value) >= 6:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
