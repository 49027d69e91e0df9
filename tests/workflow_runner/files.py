"""The runner's command files: GITHUB_OUTPUT and GITHUB_ENV (`k=v` lines and `k<<DELIM` blocks),
GITHUB_PATH (one directory a line), as GitHub's runner reads them."""

from __future__ import annotations

from pathlib import Path


def read_pairs(path: Path) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks; later names win."""
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8").split("\n")
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while i < len(lines) and lines[i].rstrip("\r") != delimiter:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ValueError(f"{path.name}: {name}: no closing delimiter {delimiter!r}")
            i += 1
            found[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            found[name] = value
        else:
            raise ValueError(f"{path.name}: cannot read {line!r}")
    return found


def read_paths(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
