"""`authz check` (explain a decision) and `authz test` (the policy's Rego unit tests). Every
risky action asks the policy inside its use case (`acting.ask`), not here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json

if TYPE_CHECKING:
    from trainmaster.policy.model import AccessRequest, Decision

authz_app = typer.Typer(help="Authorization: explain a decision, test the policy's Rego.")
Json = Annotated[bool, typer.Option("--json", help="Machine output on stdout.")]


def register(app: typer.Typer) -> None:
    app.add_typer(authz_app, name="authz")


@authz_app.command("check")
def check(
    typer_ctx: typer.Context,
    action: Annotated[str, typer.Option("--action", help="e.g. rollback, rollout.pin, promote.")],
    target: Annotated[str, typer.Option("--target", help="What is acted on.")] = "-",
    reason: Annotated[str, typer.Option("--reason", help="The reason that would be given.")] = "",
    stage: Annotated[str | None, typer.Option("--stage", help="Stage, e.g. prod.")] = None,
    train: Annotated[
        str | None, typer.Option("--train", help="Judge by this train's attributes (author).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Explain whether the acting person may take ACTION (exit 5 when not); records nothing."""
    from trainmaster.errors import Refused
    from trainmaster.policy.use_cases import AccessCheck, explain

    state = ctx(typer_ctx)
    request = AccessCheck(state.actor, action, target, reason, stage, train)
    decision = explain(state.app(), request)
    _show(state, decision.request, decision, as_json)
    if not decision.allowed:
        raise Refused(f"refused: {decision.summary()}")


def _show(state: Context, request: AccessRequest, decision: Decision, as_json: bool) -> None:
    if as_json or state.json_output:
        emit_json(decision.as_json())
        return
    out = console()
    verdict = "allowed" if decision.allowed else "refused"
    out.print(f"{verdict}: {request.actor} → {request.action} {request.target}", markup=False)
    for reason in decision.reasons:
        out.print(f"  - {reason}", markup=False)


@authz_app.command("test")
def test(typer_ctx: typer.Context, as_json: Json = False) -> None:
    """Run the Rego unit tests (`test_*` rules): the built-in bundle's and the policy's own
    (authorization.modules, *_test.rego). Exit 1 when one fails."""
    from trainmaster.errors import CheckFailed
    from trainmaster.policy.use_cases import rego_tests

    state = ctx(typer_ctx)
    results = rego_tests(state.app())
    failed = [r for r in results if not r.passed]
    if as_json or state.json_output:
        emit_json({"tests": [r.as_json() for r in results], "failed": len(failed)})
    else:
        out = console()
        for r in results:
            out.print(f"{'PASS' if r.passed else 'FAIL'} {r.name} ({r.module})", markup=False)
        out.print(f"{len(results) - len(failed)} of {len(results)} passed", markup=False)
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(results)} Rego tests failed")
