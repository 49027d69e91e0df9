"""Standard Webhooks signatures (https://www.standardwebhooks.com, the spec's "Signature
scheme"): `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the
base64 key after `whsec_`. Purely computational."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

PREFIX = "whsec_"
KEY_MIN, KEY_MAX = 24, 64  # bytes: the spec recommends keys between 24 and 64 bytes


def secret_problem(secret: str) -> str | None:
    """Why `secret` is not a usable signing secret, or None."""
    if not secret.startswith(PREFIX):
        return f"a webhook secret starts with {PREFIX} followed by base64"
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return f"the part after {PREFIX} is not base64"
    if not KEY_MIN <= len(key) <= KEY_MAX:
        return f"the key is {len(key)} bytes; use {KEY_MIN} to {KEY_MAX} random bytes"
    return None


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret[len(PREFIX) :])
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def webhook_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }
