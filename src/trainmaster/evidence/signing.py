"""Ed25519 keys for evidence bundles: load (file or env, PEM), fingerprint, sign, verify.

`cryptography` is imported inside functions so the CLI starts fast. A private key read from the
environment is registered with the redaction filter: it must never reach a log line.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.errors import UsageError
from trainmaster.redaction import register_secret

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )


def load_private_key(pem: bytes, source: str) -> Ed25519PrivateKey:
    """Parse a PEM private key; its text is registered with the redaction filter first."""
    register_secret(pem.decode("utf-8", "replace").strip())
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:
        raise UsageError(f"{source}: not an unencrypted PEM private key") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{source}: the signing key must be Ed25519")
    return key


def load_public_key(pem: bytes, source: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError) as e:
        raise UsageError(f"{source}: not a PEM public key") from e
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{source}: the public key must be Ed25519")
    return key


def signing_key_from(path: str | None, env: str | None) -> Ed25519PrivateKey | None:
    """The key named by the policy's `evidence.signing_key_path` or `signing_key_env`."""
    if env and os.environ.get(env):
        text = os.environ[env]
        register_secret(text.strip())
        return load_private_key(text.encode("utf-8"), f"${env}")
    if path:
        return load_private_key(read_key_file(Path(path)), path)
    return None


def read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: cannot read key ({e.strerror})") from e


def public_pem(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def private_pem(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def fingerprint(key: Ed25519PublicKey) -> str:
    """`SHA256:<hex>` of the raw 32-byte public key, as printed by `evidence keygen`."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "SHA256:" + hashlib.sha256(raw).hexdigest()


def generate() -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def signature_valid(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
