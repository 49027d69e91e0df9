"""Release artifacts for the local target: the tagged tree, addressed by its SHA-256.

`git archive` of a tag is byte-for-byte reproducible, so the digest names exactly that code. It is
unpacked into `.trainmaster/artifacts/<hex>/` (with a VERSION file), where the local target runs a
digest from.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Artifact:
    digest: str  # sha256:<hex>
    directory: Path
    version: str


def build_artifact(repo: Path, tag: str, version: str, base_dir: Path) -> Artifact:
    blob = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", tag],
        capture_output=True,
        check=True,
    ).stdout
    hex_digest = hashlib.sha256(blob).hexdigest()
    directory = base_dir / ".trainmaster" / "artifacts" / hex_digest
    if not (directory / "VERSION").exists():
        directory.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(blob)) as archive:
            archive.extractall(directory, filter="data")
        (directory / "VERSION").write_text(version + "\n", encoding="utf-8")
    return Artifact(f"sha256:{hex_digest}", directory, version)
