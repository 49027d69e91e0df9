"""`local serve|stop|status`: the local target's supervisor, shared by separate CLI invocations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json

if TYPE_CHECKING:
    from trainmaster.adapters.local.supervisor import SupervisorInfo

local_app = typer.Typer(help="The local target: a supervisor owning the releases and proxies.")


def register(app: typer.Typer) -> None:
    app.add_typer(local_app, name="local")


def _base_dir(state: Context) -> Path:
    return state.policy_path.resolve().parent


def _say(state: Context, text: str, data: dict[str, Any]) -> None:
    if state.json_output:
        emit_json(data)
    else:
        console().print(text, markup=False)


def _clear_stale(state: Context, base_dir: Path) -> SupervisorInfo | None:
    """The supervisor that answers for `base_dir`; a record of one that does not is removed."""
    from trainmaster.adapters.local.client import answers
    from trainmaster.adapters.local.supervisor import info_path, pid_alive, read_info

    found = read_info(base_dir)
    if found is None:
        return None
    if pid_alive(found.pid) and answers(found):
        return found
    gone = not pid_alive(found.pid)
    why = "is gone" if gone else "does not answer"
    err = console(stderr=True)
    err.print(f"replacing a stale {info_path(base_dir)} (pid {found.pid} {why})", markup=False)
    info_path(base_dir).unlink(missing_ok=True)
    if gone:
        _stop_orphans(base_dir, found.pid)
    return None


def _stop_orphans(base_dir: Path, pid: int) -> None:
    from trainmaster.adapters.local.daemon import stop_orphans

    stopped = stop_orphans(base_dir)
    if stopped:
        console(stderr=True).print(
            f"stopped {len(stopped)} release(s) left running by supervisor pid {pid}",
            markup=False,
        )


Detach = Annotated[
    bool, typer.Option("--detach", help="Run in the background; return once it answers.")
]


@local_app.command("serve")
def serve(typer_ctx: typer.Context, detach: Detach = False) -> None:
    """Run the local target's supervisor: it owns the proxies and the release processes, so
    `rollout` commands in separate invocations share them. Stops every release on exit."""
    from trainmaster.errors import UsageError

    state = ctx(typer_ctx)
    policy = state.policy
    if policy.backends.cluster != "local":
        raise UsageError("backends.cluster is not local: there is no local target to serve")
    base_dir = _base_dir(state)
    running = _clear_stale(state, base_dir)
    if running is not None and detach:  # idempotent, so scripts can always ask for it
        _say(state, f"local target already running on {running.url} (pid {running.pid})",
             {"url": running.url, "pid": running.pid, "started": False})  # fmt: skip
        return
    if running is not None:
        raise UsageError(f"a local target already runs for {base_dir} (pid {running.pid})")
    if detach:
        from trainmaster.adapters.local.daemon import start_detached

        info = start_detached(state.policy_path.resolve(), base_dir)
        _say(state, f"local target serving on {info.url} (pid {info.pid})",
             {"url": info.url, "pid": info.pid, "started": True})  # fmt: skip
        return
    from trainmaster.adapters.local.server import serve as run_supervisor

    run_supervisor(policy, state.policy_path.resolve(), base_dir)


@local_app.command("stop")
def stop(typer_ctx: typer.Context) -> None:
    """Stop the supervisor and every release it runs."""
    from trainmaster.adapters.local.daemon import stop as stop_supervisor
    from trainmaster.adapters.local.supervisor import info_path, pid_alive, read_info

    state = ctx(typer_ctx)
    base_dir = _base_dir(state)
    found = read_info(base_dir)
    if found is None:
        _say(state, "no local target is running", {"stopped": False})
        return
    if not pid_alive(found.pid):
        info_path(base_dir).unlink(missing_ok=True)
        _stop_orphans(base_dir, found.pid)
        _say(state, f"removed a stale supervisor record (pid {found.pid} is gone)",
             {"stopped": False, "stale_pid": found.pid})  # fmt: skip
        return
    stop_supervisor(found)
    _say(state, f"stopped the local target (pid {found.pid})", {"stopped": True, "pid": found.pid})


@local_app.command("status")
def status(typer_ctx: typer.Context) -> None:
    """Show the supervisor and each rollout's proxy and colours (exit 1 when not running)."""
    from trainmaster.adapters.local.client import LocalClient
    from trainmaster.adapters.local.supervisor import policy_digest, running
    from trainmaster.errors import CheckFailed

    state = ctx(typer_ctx)
    base_dir = _base_dir(state)
    info = running(base_dir)
    if info is None:
        raise CheckFailed(
            f"no local target is running for {base_dir}: "
            "start it with `trainmaster local serve --detach`"
        )
    client = LocalClient(info)
    try:
        overview = client.overview()
    finally:
        client.close()
    overview["url"] = info.url
    overview["policy_current"] = info.policy_digest in ("", policy_digest(state.policy))
    if not overview["policy_current"]:
        console(stderr=True).print(
            "warning: the policy changed since the supervisor started: restart it", markup=False
        )
    if state.json_output:
        emit_json(overview)
        return
    _print_overview(overview)


def _print_overview(overview: dict[str, Any]) -> None:
    out = console()
    out.print(f"supervisor {overview['url']} (pid {overview['pid']})", markup=False)
    out.print(f"    policy {overview['policy']}", markup=False)
    for rollout in overview["rollouts"]:
        where = f"{rollout['namespace']}/{rollout['name']}"
        out.print(f"{where} ({rollout['stage']}) on {rollout['proxy']}", markup=False)
        for role in ("active", "pending", "previous"):
            release = rollout[role]
            if release is not None:
                up = "up" if release["alive"] else "DOWN"
                line = f"{release['colour']} {release['image']} pid {release['pid']} {up}"
                out.print(f"  {role:>8}: {line} {release['url']}", markup=False)
    for preview in overview["previews"]:
        out.print(f"preview {preview['namespace']}: {preview['url'] or '-'}", markup=False)
    if not overview["rollouts"] and not overview["previews"]:
        out.print("nothing deployed", markup=False)
