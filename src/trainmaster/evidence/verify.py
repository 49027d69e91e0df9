"""Verify a bundle: the signature, every digest, the audit chain excerpt, the archive's form.

Every problem names the file it is about. The public key is either pinned by the caller (trust
comes from outside the bundle: `--public-key`, or a fingerprint the policy lists in
`evidence.trusted_keys`) or taken from the bundle, which proves only integrity since signing, not
who signed: anyone can re-sign an edited bundle with their own key. `VerifyResult.key_source` says
which, and `require_trusted` turns anything but a pinned key into "inconclusive" (exit 3).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trainmaster.audit.chain import AuditEvent, first_broken
from trainmaster.errors import CheckFailed, Inconclusive, UsageError
from trainmaster.evidence import archive
from trainmaster.evidence.manifest import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    Manifest,
    ManifestError,
    compare,
    parse_manifest,
)
from trainmaster.evidence.report import REPORT

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

KeySource = Literal["pinned", "embedded", "unsigned"]


@dataclass(frozen=True)
class VerifyResult:
    path: Path
    train: str
    created_at: str
    files: int
    signer_fingerprint: str | None
    key_source: KeySource
    audit_events: int
    audit_range: tuple[int, int] | None

    @property
    def signed(self) -> bool:
        return self.key_source != "unsigned"


def verify_bundle(
    path: Path, public_key: Ed25519PublicKey | None = None, trusted: Collection[str] = ()
) -> VerifyResult:
    """Raise CheckFailed naming the first tampered file (and how many more problems); with a
    pinned `public_key` an unsigned bundle or one signed by another key fails too. `trusted`
    fingerprints pin the bundle's own key when it is one of them."""
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror})") from e
    try:
        files = archive.unpack(archive.gunzip(blob))
    except archive.ArchiveError as e:
        raise CheckFailed(f"{path.name}: {e}") from e
    manifest = _manifest(path, files)
    problems: list[str] = []
    pinned = public_key if public_key is not None else _trusted_key(files, trusted)
    key_source = _check_signature(files, manifest, pinned, problems)
    if pinned is None and trusted and key_source != "unsigned":
        problems.append(f"{PUBLIC_KEY}: the signer is none of the policy's trusted keys")
    problems += compare(manifest, files)
    events = _check_audit(files, manifest, problems)
    problems += _check_form(path, blob, files)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CheckFailed(f"evidence bundle {path.name} fails verification: {problems[0]}{more}")
    first, last = manifest.audit.get("first_seq"), manifest.audit.get("last_seq")
    return VerifyResult(
        path=path,
        train=manifest.train,
        created_at=manifest.created_at,
        files=len(manifest.files),
        signer_fingerprint=manifest.signer_fingerprint,
        key_source=key_source,
        audit_events=events,
        audit_range=(first, last) if isinstance(first, int) and isinstance(last, int) else None,
    )


def require_trusted(result: VerifyResult) -> None:
    """An intact bundle is proven only when its signature was checked against a key trusted from
    outside it; anything else is inconclusive, never a pass."""
    if result.key_source == "pinned":
        return
    how = "pass --public-key or list its fingerprint in the policy's evidence.trusted_keys"
    if result.key_source == "unsigned":
        raise Inconclusive(
            f"{result.path.name}: NOT SIGNED, so the signature not checked against a trusted key; "
            f"digests and chain only prove consistency ({how})"
        )
    raise Inconclusive(
        f"{result.path.name}: intact, but signature not checked against a trusted key: the key "
        f"inside the bundle ({result.signer_fingerprint}) proves nothing about who signed ({how})"
    )


def _trusted_key(files: dict[str, bytes], trusted: Collection[str]) -> Ed25519PublicKey | None:
    """The bundle's own public key when its fingerprint is one the policy trusts."""
    from trainmaster.evidence.signing import fingerprint, load_public_key

    if not trusted or PUBLIC_KEY not in files:
        return None
    try:
        key = load_public_key(files[PUBLIC_KEY], PUBLIC_KEY)
    except UsageError:
        return None
    return key if fingerprint(key) in trusted else None


def problems_of(path: Path, public_key: Ed25519PublicKey | None = None) -> list[str]:
    """Every problem, for a report; empty when the bundle verifies."""
    try:
        verify_bundle(path, public_key)
    except CheckFailed as e:
        return [str(e)]
    return []


def _manifest(path: Path, files: dict[str, bytes]) -> Manifest:
    if MANIFEST not in files:
        raise CheckFailed(f"{path.name}: no {MANIFEST}: not an evidence bundle")
    try:
        return parse_manifest(files[MANIFEST])
    except ManifestError as e:
        raise CheckFailed(f"{path.name}: {MANIFEST}: {e}") from e


def _check_signature(
    files: dict[str, bytes],
    manifest: Manifest,
    pinned: Ed25519PublicKey | None,
    problems: list[str],
) -> KeySource:
    from trainmaster.evidence.signing import fingerprint, load_public_key, signature_valid

    if SIGNATURE not in files:
        if pinned is not None or manifest.signer_fingerprint:
            problems.append(f"{SIGNATURE}: missing, the bundle is not signed")
        return "unsigned"
    key, source = (pinned, "pinned") if pinned is not None else (None, "embedded")
    if key is None:
        if PUBLIC_KEY not in files:
            problems.append(f"{PUBLIC_KEY}: missing; pass --public-key to verify the signature")
            return "embedded"
        try:
            key = load_public_key(files[PUBLIC_KEY], PUBLIC_KEY)
        except UsageError as e:
            problems.append(str(e))
            return "embedded"
    if fingerprint(key) != manifest.signer_fingerprint:
        problems.append(
            f"{MANIFEST}: signed by {manifest.signer_fingerprint}, not by the "
            f"{source} key {fingerprint(key)}"
        )
    try:
        signature = base64.b64decode(files[SIGNATURE].strip(), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if not signature_valid(key, signature, files[MANIFEST]):
        problems.append(f"{MANIFEST}: the Ed25519 signature in {SIGNATURE} does not verify")
    return "pinned" if source == "pinned" else "embedded"


def _check_audit(files: dict[str, bytes], manifest: Manifest, problems: list[str]) -> int:
    name = str(manifest.audit.get("file") or "audit/events.json")
    listed = {f.path for f in manifest.files}
    for required in (REPORT, name):
        # A bundle without its report or its audit trail is not evidence, however well signed.
        if required not in listed:
            problems.append(f"{required}: missing from the bundle")
    if name not in files:
        return 0
    try:
        body = json.loads(files[name])
        events = [_event(e) for e in body["events"]]
        start_prev = str(body["start_prev"])
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        problems.append(f"{name}: not an audit excerpt ({type(e).__name__}: {e})"[:300])
        return 0
    if start_prev != manifest.audit.get("start_prev"):
        problems.append(f"{name}: the excerpt's anchor differs from the manifest's")
    broken = first_broken(events, start_prev=start_prev)
    if broken is not None:
        problems.append(f"{name}: audit chain broken at seq {broken}")
    last = events[-1].hash if events else None
    if last != manifest.audit.get("last_hash"):
        problems.append(f"{name}: the excerpt ends at another event than the manifest says")
    return len(events)


_EVENT_TEXT = ("at", "actor", "action", "target", "reason", "payload", "prev_hash", "hash")
MAX_SEQ = 2**63 - 1  # the store's BIGINT


def _event(raw: Any) -> AuditEvent:
    """One excerpt event, each field of the type the chain hashes (a string `seq` is refused)."""
    if not isinstance(raw, dict) or set(raw) != {"seq", *_EVENT_TEXT}:
        raise ValueError("an event is an object with exactly the chain's fields")
    seq = raw["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq <= MAX_SEQ:
        raise ValueError(f"seq {seq!r} is not a positive integer")
    if not all(isinstance(raw[k], str) for k in _EVENT_TEXT):
        raise ValueError("event fields other than seq are strings")
    return AuditEvent(**raw)


def _check_form(path: Path, blob: bytes, files: dict[str, bytes]) -> list[str]:
    """Bytes outside the members' contents: tar headers and padding, the gzip header."""
    tar_data = archive.gunzip(blob)
    if tar_data != archive.tar_bytes(files):
        return [f"{path.name}: tar headers or padding differ from the canonical archive"]
    if not archive.canonical_header_ok(blob):
        return [f"{path.name}: the gzip header was rewritten"]
    return []
