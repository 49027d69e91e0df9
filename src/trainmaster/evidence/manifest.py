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
# Files the manifest cannot list: itself and what vouches for it.
UNLISTED = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})


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
    try:
        files = tuple(
            FileEntry(str(f["path"]), str(f["sha256"]), int(f["size"])) for f in body["files"]
        )
        signing = body.get("signing") or {}
        return Manifest(
            train=str(body["train"]),
            created_at=str(body["created_at"]),
            tool_version=str(body.get("tool_version", "")),
            files=files,
            audit=dict(body.get("audit") or {}),
            signer_fingerprint=signing.get("public_key_fingerprint"),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ManifestError(f"missing or malformed field ({e})") from e


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
