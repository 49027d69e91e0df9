"""The bundle manifest: each file's SHA-256 and size, the audit excerpt's anchor, the signer.

Pure: building, serializing and comparing manifests never touches the disk. The bytes that are
signed are exactly the bytes of `manifest.json` in the bundle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainmaster.audit.chain import canonical_json

FORMAT = "trainmaster-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "signing-key.pub.pem"
# Files the manifest cannot list: itself and its signature. The public key is listed, so a
# bundle whose key file was swapped fails even when the verifier trusts the signer by fingerprint.
UNLISTED = frozenset({MANIFEST, SIGNATURE})


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    train: str
    created_at: str
    tool_version: str
    files: tuple[FileEntry, ...]
    audit: Mapping[str, Any]  # {"file", "start_prev", "first_seq", "last_seq", "last_hash"}
    signer_fingerprint: str | None  # "SHA256:<hex>" of the raw Ed25519 public key

    def to_bytes(self) -> bytes:
        body = {
            "format": FORMAT,
            "train": self.train,
            "created_at": self.created_at,
            "tool_version": self.tool_version,
            "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files],
            "audit": dict(self.audit),
            "signing": {
                "algorithm": "ed25519" if self.signer_fingerprint else "none",
                "public_key_fingerprint": self.signer_fingerprint,
            },
        }
        return (canonical_json(body) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entries(files: Mapping[str, bytes]) -> tuple[FileEntry, ...]:
    return tuple(
        FileEntry(path, sha256_hex(data), len(data))
        for path, data in sorted(files.items())
        if path not in UNLISTED
    )


class ManifestError(ValueError):
    """manifest.json is not a manifest this version understands."""


def parse_manifest(data: bytes) -> Manifest:
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ManifestError(f"not JSON ({e})") from e
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ManifestError(f"not a {FORMAT} manifest")
    listed = body.get("files")
    if not isinstance(listed, list):
        raise ManifestError("files: expected a list")
    signing = _typed(body.get("signing") or {}, dict, "signing")
    fingerprint = signing.get("public_key_fingerprint")
    return Manifest(
        train=_typed(body.get("train"), str, "train"),
        created_at=_typed(body.get("created_at"), str, "created_at"),
        tool_version=_typed(body.get("tool_version", ""), str, "tool_version"),
        files=tuple(_entry(f, i) for i, f in enumerate(listed)),
        audit=_typed(body.get("audit") or {}, dict, "audit"),
        signer_fingerprint=None if fingerprint is None else _typed(fingerprint, str, "signing"),
    )


def _entry(raw: Any, index: int) -> FileEntry:
    where = f"files[{index}]"
    entry = _typed(raw, dict, where)
    size = entry.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestError(f"{where}.size: expected a non-negative integer")
    return FileEntry(
        _typed(entry.get("path"), str, f"{where}.path"),
        _typed(entry.get("sha256"), str, f"{where}.sha256"),
        size,
    )


def _typed(value: Any, kind: type[Any], where: str) -> Any:
    """`value` when it is a `kind`; a ManifestError naming the field otherwise."""
    if not isinstance(value, kind):
        raise ManifestError(
            f"{where}: expected {'an object' if kind is dict else 'a ' + kind.__name__}"
        )
    return value


def compare(manifest: Manifest, files: Mapping[str, bytes]) -> list[str]:
    """Problems between the manifest and the files in the bundle, each naming one file."""
    problems: list[str] = []
    listed = {f.path: f for f in manifest.files}
    for path, entry in listed.items():
        data = files.get(path)
        if data is None:
            problems.append(f"{path}: listed in the manifest but missing from the bundle")
            continue
        actual = sha256_hex(data)
        if actual != entry.sha256 or len(data) != entry.size:
            problems.append(
                f"{path}: SHA-256 {actual[:12]}… does not match the manifest's {entry.sha256[:12]}…"
            )
    for path in sorted(set(files) - set(listed) - UNLISTED):
        problems.append(f"{path}: in the bundle but not listed in the manifest")
    return problems
