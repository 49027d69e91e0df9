"""The Typer app: global options, command groups, and the one error handler."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from trainmaster import __version__
from trainmaster.cli.context import Context, annotate, console, in_github_actions
from trainmaster.errors import ExitCode, PolicyError, TrainmasterError


def _click_errors() -> tuple[type[Exception], ...]:
    """Usage errors as the parser raises them. Newer Typer ships its own copy of click
    (`typer._click`), whose exceptions plain click's classes would not catch."""
    found: list[type[Exception]] = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(importlib.import_module(name).ClickException)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


_USAGE_ERRORS = _click_errors()
# ordinary endings, each with its exit code (`_ended`); anything else is an error or a bug
_ENDINGS: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    KeyboardInterrupt,
    *_USAGE_ERRORS,
)
app = typer.Typer(
    name="trainmaster",
    help="Release trains as code: plan, apply, gate, promote, roll back and prove.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Each module registers its commands with `register(app)`; add a feature by adding its module and
# the top-level names it registers. Only the module a command needs is imported: start-up time is
# paid per command, not for the whole CLI (`--help` imports them all).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "trainmaster.cli.train_cmds": ("train", "approve", "promote", "rollback"),
    "trainmaster.cli.notes_cmds": ("notes", "announce"),
    "trainmaster.cli.policy_cmds": ("init", "validate", "schema"),
    "trainmaster.cli.store_cmds": ("db", "audit"),
    "trainmaster.cli.governance_cmds": ("plan", "apply", "drift"),
    "trainmaster.cli.gate_cmds": ("gate",),
    "trainmaster.cli.rollout_cmds": ("rollout", "preview"),
    "trainmaster.cli.local_cmds": ("local",),
    "trainmaster.cli.checks_cmds": ("checks",),
    "trainmaster.cli.evidence_cmds": ("evidence",),
    "trainmaster.cli.secrets_cmds": ("secrets",),
    "trainmaster.cli.demo_cmds": ("demo",),
    "trainmaster.cli.authz_cmds": ("authz",),
    "trainmaster.cli.notify_cmds": ("notify",),
    "trainmaster.cli.jobs_cmds": ("jobs", "worker"),
    "trainmaster.cli.serve_cmds": ("serve", "token"),
    "trainmaster.cli.app_cmds": ("app",),
}
_VALUED_OPTIONS = frozenset({"--policy", "-p", "--actor"})
_GLOBAL_FLAGS = frozenset({"--json", "--debug"})
_registered: set[str] = set()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trainmaster {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    typer_ctx: typer.Context,
    policy: Annotated[
        Path, typer.Option("--policy", "-p", help="Policy file.", envvar="TRAINMASTER_POLICY")
    ] = Path("trainmaster.yaml"),
    json_output: Annotated[bool, typer.Option("--json", help="Machine output on stdout.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    actor: Annotated[str | None, typer.Option("--actor", help="Who is acting (audit).")] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    state = Context(policy_path=policy, json_output=json_output, debug=debug, actor_flag=actor)
    typer_ctx.obj = state
    typer_ctx.call_on_close(state.close)  # pending notifications go out (issue 20), then close


def command_of(args: list[str]) -> str | None:
    """The top-level command in `args`, skipping the global options (and their values)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def hoist_globals(args: list[str]) -> list[str]:
    """The global options moved in front of the command, wherever the user typed them:
    `checks lint --json` and `--json checks lint` are the same command. Everything after `--`
    stays where it is."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in _GLOBAL_FLAGS or (name in _VALUED_OPTIONS and "=" in arg):
            front.append(arg)
        elif arg in _VALUED_OPTIONS and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


def register_commands(command: str | None) -> None:
    """Import and register the module of `command`, or every module when it is unknown."""
    for module, names in COMMAND_MODULES.items():
        if module not in _registered and (command is None or command in names):
            importlib.import_module(module).register(app)
            _registered.add(module)
    if command is not None and not any(command in names for names in COMMAND_MODULES.values()):
        register_commands(None)  # a typo: let the parser list every command


def _help_scope(args: list[str]) -> str | None:
    """The command whose module to import: `gate --help` needs only gate's, while a `--help`
    before any command (the root's help lists every command) needs them all."""
    command = command_of(args)
    if command is not None and "--help" in args[: args.index(command)]:
        return None
    return command


def run(args: list[str]) -> int:
    """Run the CLI and map every outcome to a stable exit code."""
    from trainmaster.redaction import install

    install()  # before anything can log: no resolved secret reaches a log line or a traceback
    args = hoist_globals(args)
    debug = "--debug" in args
    register_commands(_help_scope(args))
    try:
        result = app(args=args, standalone_mode=False, prog_name="trainmaster")
        return int(result) if isinstance(result, int) else 0
    except _ENDINGS as e:
        return _ended(e)
    except TrainmasterError as e:
        _report(e)
        if debug:
            raise
        return int(e.exit_code)
    except Exception as e:  # a bug: one redacted line, never a traceback without --debug
        if debug:
            raise
        _report_bug(e)
        return int(ExitCode.INTERNAL)
    finally:
        install()  # Typer replaced the excepthook: a traceback leaving here is redacted too


def _ended(outcome: BaseException) -> int:
    """The exit code of an ordinary ending: exit, abort, Ctrl-C or a usage error."""
    if isinstance(outcome, typer.Exit):
        return int(outcome.exit_code)
    if isinstance(outcome, (typer.Abort, KeyboardInterrupt)):
        console(stderr=True).print("aborted" if isinstance(outcome, typer.Abort) else "interrupted")
        return 130
    outcome.show()  # type: ignore[attr-defined]  # a usage error, as click prints it
    return int(ExitCode.USAGE)


def _report_bug(error: Exception) -> None:
    from trainmaster.redaction import redact

    text = redact(f"{error.__class__.__name__}: {error}".splitlines()[0][:500])
    console(stderr=True).print(
        f"error: internal error (a bug in trainmaster, please report it): {text}; "
        "run again with --debug for the traceback",
        markup=False,
    )
    if in_github_actions():
        annotate("error", f"internal error: {text}")


_LOCATED = re.compile(r"^([^:\s]+):(\d+):(\d+): (.*)$")


def _report(error: TrainmasterError) -> None:
    from trainmaster.redaction import redact

    lines = error.details if isinstance(error, PolicyError) else [error.message]
    err = console(stderr=True)
    for raw in lines:
        text = redact(raw)
        err.print(f"error: {text}", markup=False)
        if in_github_actions():
            located = _LOCATED.match(text)
            if located:
                file, line, col, rest = located.groups()
                annotate("error", rest, file=file, line=int(line), col=int(col))
            else:
                annotate("error", text)
    sys.stderr.flush()
