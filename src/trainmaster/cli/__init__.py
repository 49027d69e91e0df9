"""Command-line interface. `main` keeps start-up cheap: `--version` never imports the app."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from trainmaster import __version__

        sys.stdout.write(f"trainmaster {__version__}\n")
        return 0
    from trainmaster.cli.app import run

    return run(args)
