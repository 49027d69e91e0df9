"""Command-line interface. `main` keeps start-up cheap: `--version` never imports the app, and
`validate` of a policy that validated before (same bytes, same validator) answers from the cache."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from trainmaster import __version__

        sys.stdout.write(f"trainmaster {__version__}\n")
        return 0
    cached = _cached_validate(args)
    if cached is not None:
        return cached
    from trainmaster.cli.app import run

    return run(args)


def _cached_validate(args: list[str]) -> int | None:
    """The fast path for `[--json] validate [FILE]`; None means: take the full path."""
    json_output = args[:1] == ["--json"]
    rest = args[1:] if json_output else args
    if not rest or rest[0] != "validate" or len(rest) > 2 or any(a.startswith("-") for a in rest):
        return None
    import os

    from trainmaster.config import cache

    path = rest[1] if len(rest) == 2 else os.environ.get("TRAINMASTER_POLICY", "trainmaster.yaml")
    try:
        with open(path, "rb") as handle:
            content = handle.read()
    except OSError:
        return None
    summary = cache.lookup(content)
    if summary is None:
        return None
    summary["file"] = path
    if json_output:
        import json

        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        sys.stdout.write(f"{path}: {summary['text']}\n")
    return 0
