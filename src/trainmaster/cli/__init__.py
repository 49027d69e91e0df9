"""Command-line interface. `main` keeps start-up cheap by answering the commands CI runs most
without the Typer app: `--version` before any import, `validate` of a policy (from the cache when
it validated before, else with the policy models only), and `notes`/`announce` in a repository
without a policy. Anything else, and every error, takes the full path (`cli.app.run`), so usage
and errors read the same whichever way a command went."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from trainmaster import __version__

        sys.stdout.write(f"trainmaster {__version__}\n")
        return 0
    for fast in (_validate, _notes):
        answered = fast(args)
        if answered is not None:
            return answered
    from trainmaster.cli.app import run

    return run(args)


def _without_json(args: list[str]) -> tuple[bool, list[str]]:
    """A global flag, before or after the command, as the Typer path reads it."""
    rest = [arg for arg in args if arg != "--json"]
    return len(rest) != len(args), rest


def _validate(args: list[str]) -> int | None:
    """`validate [FILE]` (and `--json` anywhere); None means: take the full path."""
    json_output, rest = _without_json(args)
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
    from pathlib import Path

    path = str(Path(path))  # as the full path prints it
    summary = cache.lookup(content)
    if summary is None:
        summary = _validated(path, content)
        if summary is None:
            return None
    summary["file"] = path
    if json_output:
        import json

        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        sys.stdout.write(f"{path}: {summary['text']}\n")
    return 0


def _validated(path: str, content: bytes) -> dict[str, object] | None:
    """Validate with the policy models alone (no Typer, no rich) and record the success; None
    when the policy does not validate: the full path then reports why, as always."""
    import os

    # pydantic looks for plugins in every installed distribution's entry points on the first
    # model; a one-shot validation observes nothing with them (Typer 0.29 turns them off too).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from trainmaster.config import cache, load_policy
    from trainmaster.errors import TrainmasterError

    try:
        policy = load_policy(path)
    except TrainmasterError:
        return None
    text = (
        f"valid ({len(policy.repos)} repos, {len(policy.stages)} stages, "
        f"{len(policy.signals)} signals, {len(policy.checks.required)} required checks)"
    )
    summary: dict[str, object] = {
        "file": path,
        "valid": True,
        "repos": len(policy.repos),
        "stages": list(policy.stages),
        "signals": list(policy.signals),
        "required_checks": len(policy.checks.required),
        "text": text,
    }
    cache.remember(content, summary)
    return summary


def _notes(args: list[str]) -> int | None:
    """`notes|announce [RANGE] [--format F]` (and `--json` anywhere) with no policy file; None
    means: take the full path."""
    json_output, rest = _without_json(args)
    if not rest or rest[0] not in ("notes", "announce"):
        return None
    revisions: list[str] = []
    fmt = "md"
    words = iter(rest[1:])
    for word in words:
        if word == "--format":
            fmt = next(words, "")
        elif word.startswith("--format="):
            fmt = word.partition("=")[2]
        elif word.startswith("-") or revisions:
            return None  # --help, another option or a second range: the parser's business
        else:
            revisions.append(word)
    import os

    if os.path.exists(os.environ.get("TRAINMASTER_POLICY", "trainmaster.yaml")):
        return None  # links, templates and gate results come from the policy and its store
    from pathlib import Path

    from trainmaster.notes.render import check_format
    from trainmaster.train.notes_source import render_notes

    try:
        text = render_notes(
            None,
            Path.cwd(),
            revisions[0] if revisions else None,
            fmt=check_format("json" if json_output else fmt),
            kind="release" if rest[0] == "notes" else "announce",
            store=None,
            base_dir=Path.cwd(),
        )
    except Exception:  # the full path reports it (exit code, --debug traceback)
        return None
    sys.stdout.write(text)
    return 0
