"""The install key of the trainmaster action: a hash of the source it would install (pyproject,
README, src/), the extras and the Python version. Standard library only: it runs before the
install."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path


def source_key(root: Path, extras: str) -> str:
    digest = hashlib.sha256(f"{sys.version_info[:2]}|{extras}".encode())
    files = [root / "pyproject.toml", root / "README.md", *sorted((root / "src").rglob("*"))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


if __name__ == "__main__":
    print(source_key(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else ""))
