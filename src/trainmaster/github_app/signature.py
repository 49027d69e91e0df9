"""The webhook secret and the `X-Hub-Signature-256` check (GitHub docs, "Validating webhook
deliveries": HMAC-SHA256 of the raw body, hex, prefixed `sha256=`, compared in constant time)."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from trainmaster.errors import UsageError
from trainmaster.redaction import register_secret

SECRET_ENV = "GITHUB_WEBHOOK_SECRET"
SECRET_FILE_ENV = "GITHUB_WEBHOOK_SECRET_FILE"
PREFIX = "sha256="


def webhook_secret() -> bytes | None:
    """$GITHUB_WEBHOOK_SECRET, else the file named by $GITHUB_WEBHOOK_SECRET_FILE (trailing
    newline dropped), else None (webhooks refused). Registered with the redaction filter."""
    value = os.environ.get(SECRET_ENV, "")
    if not value and (path := os.environ.get(SECRET_FILE_ENV, "")):
        try:
            value = Path(path).read_text().strip()
        except OSError as error:
            raise UsageError(f"{SECRET_FILE_ENV}: cannot read {path}: {error.strerror}") from None
    if not value:
        return None
    register_secret(value)
    return value.encode()


def sign(secret: bytes, body: bytes) -> str:
    return PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of `body` with `secret`."""
    if not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())
