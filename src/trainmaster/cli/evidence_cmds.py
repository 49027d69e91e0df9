"""`evidence build`, `evidence verify`, `evidence publish`, `evidence keygen`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainmaster.cli.context import Context, console, ctx, emit_json, step_summary
from trainmaster.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

evidence_app = typer.Typer(help="Evidence bundles: build, verify, publish.", no_args_is_help=True)

PublicKeyOption = Annotated[
    Path | None, typer.Option("--public-key", help="Pin the signer: its PEM public key.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")


@evidence_app.command("build")
def build(
    typer_ctx: typer.Context,
    train: Annotated[str, typer.Argument(help="Train id, e.g. v1.4.0.")],
    out: Annotated[Path | None, typer.Option(help="Folder (default: policy evidence.dir).")] = None,
    sbom: Annotated[Path | None, typer.Option(help="CycloneDX JSON SBOM from CI.")] = None,
    sbom_python: Annotated[
        Path | None, typer.Option(help="Make the SBOM of this Python's environment (slow).")
    ] = None,
    junit: Annotated[
        list[Path] | None, typer.Option(metavar="FILE", help="JUnit XML report (repeatable).")
    ] = None,
    governance: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", help="Governance plan/drift output (repeatable)."),
    ] = None,
    include: Annotated[
        list[Path] | None, typer.Option(metavar="FILE", help="Any other file (repeatable).")
    ] = None,
    key: Annotated[Path | None, typer.Option(help="Ed25519 PEM private key to sign with.")] = None,
    charts: Annotated[
        bool, typer.Option(help="Chart golden signals at cut and promotion from Prometheus.")
    ] = False,
    prometheus: Annotated[str | None, typer.Option(help="Prometheus URL for --charts.")] = None,
    publish: Annotated[bool, typer.Option(help="Attach the bundle to the GitHub release.")] = False,
    repo: Annotated[
        str | None, typer.Option(help="owner/name (default: the policy's repo).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --publish: plan only.")] = False,
) -> None:
    """Collect a train's evidence into PRODUCTION_GO_EVIDENCE.md and a signed .tar.gz bundle."""
    from trainmaster.evidence.bundle import build_evidence

    state = ctx(typer_ctx)
    policy = state.policy
    _require(state, "evidence.build", train)
    if publish and not dry_run:
        _require(state, "evidence.publish", train)
    extra: dict[str, Path] = {}
    for folder, files in (
        ("sbom", [sbom] if sbom else []),
        ("tests", junit or []),
        ("governance", governance or []),
        ("", include or []),
    ):
        for n, file in enumerate(files, start=1):
            slot = f"{folder}/{file.name}" if folder else file.name
            # Two reports may share a name (a/junit.xml, b/junit.xml): keep both.
            extra[slot if slot not in extra else f"{slot}#{n}"] = file
    metrics = None
    if charts or prometheus:
        from trainmaster.gates.backends import metrics_for

        metrics = metrics_for(policy, prometheus_url=prometheus)
    bundle = build_evidence(
        state.store(),
        policy,
        train,
        out_dir=out or _evidence_dir(state),
        signing_key=_signing_key(state, key),
        metrics=metrics,
        extra_files=extra,
        sbom_python=sbom_python,
        actor=state.actor,
    )
    published = _publish(state, bundle.path, repo, train, dry_run) if publish else None
    # In GitHub Actions the job summary shows the report's bottom line.
    bottom_line = bundle.markdown.read_text(encoding="utf-8").split("## Release")[0]
    step_summary(f"{bottom_line.rstrip()}\n\nBundle: `{bundle.path.name}` (sha256 {bundle.sha256})")
    if state.json_output:
        emit_json(
            {
                "bundle": str(bundle.path),
                "markdown": str(bundle.markdown),
                "sha256": bundle.sha256,
                "files": list(bundle.files),
                "signer": bundle.signer_fingerprint,
                "notices": list(bundle.notices),
                "published": published,
            }
        )
        return
    out_console = console()
    for notice in bundle.notices:
        out_console.print(f"notice: {notice}", markup=False)
    signed = f"signed by {bundle.signer_fingerprint}" if bundle.signer_fingerprint else "UNSIGNED"
    out_console.print(f"{bundle.path} ({len(bundle.files)} files, {signed})", markup=False)
    out_console.print(f"{bundle.markdown}", markup=False)


@evidence_app.command("verify")
def verify(
    typer_ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="The .tar.gz bundle.")],
    public_key: PublicKeyOption = None,
    against_store: Annotated[
        bool, typer.Option(help="Also match the audit excerpt with the policy's store.")
    ] = False,
) -> None:
    """Check the signature, every file's SHA-256, the audit chain excerpt and the archive itself:
    exit 0, 1 naming the tampered file, or 3 when no trusted key checked the signature."""
    from trainmaster.errors import CheckFailed
    from trainmaster.evidence.verify import require_trusted, verify_bundle

    state = ctx(typer_ctx)
    result = verify_bundle(bundle, _public_key(public_key), _trusted_keys(state))
    if against_store:
        from trainmaster.evidence.anchor import differences_with_store

        problems = differences_with_store(bundle, state.store())
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise CheckFailed(f"evidence bundle {bundle.name}: {problems[0]}{more}")
    trust = {
        "pinned": f"signed by {result.signer_fingerprint} (the pinned key)",
        "embedded": f"signed by {result.signer_fingerprint}, the key shipped inside the bundle; "
        "pass --public-key to check who signed",
        "unsigned": "NOT SIGNED: digests and chain only prove consistency",
    }[result.key_source]
    if state.json_output:
        emit_json(
            {
                "ok": True if result.key_source == "pinned" else None,
                "train": result.train,
                "created_at": result.created_at,
                "files": result.files,
                "signer": result.signer_fingerprint,
                "key_source": result.key_source,
                "audit_events": result.audit_events,
            }
        )
    else:
        verdict = "OK" if result.key_source == "pinned" else "INTACT (signer not trusted)"
        console().print(
            f"{bundle}: {verdict} — train {result.train}, built {result.created_at}, "
            f"{result.files} files, {result.audit_events} audit events chained; {trust}",
            markup=False,
        )
    require_trusted(result)


def _trusted_keys(state: Context) -> list[str]:
    """The policy's `evidence.trusted_keys`; none when there is no policy file (a verifier
    outside the project)."""
    if not state.policy_path.exists():
        return []
    return list(state.policy.evidence.trusted_keys)


@evidence_app.command("publish")
def publish_cmd(
    typer_ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="The .tar.gz bundle.")],
    repo: Annotated[
        str | None, typer.Option(help="owner/name (default: the policy's repo).")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Release tag (default: the train's tag).")] = None,
    public_key: PublicKeyOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
) -> None:
    """Attach a verified bundle to the train's GitHub release (idempotent, audited)."""
    from trainmaster.evidence.verify import verify_bundle

    state = ctx(typer_ctx)
    pinned = _public_key(public_key)
    train = verify_bundle(bundle, pinned).train
    if not dry_run:
        _require(state, "evidence.publish", train)
    published = _publish(state, bundle, repo, train, dry_run, tag=tag, public_key=pinned)
    if state.json_output:
        emit_json(published)


@evidence_app.command("keygen")
def keygen(
    typer_ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Writes OUT.pem and OUT.pub.pem.")] = Path(
        "evidence-signing"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
) -> None:
    """Make an Ed25519 signing key pair; keep the .pem secret, publish the .pub.pem."""
    from trainmaster.evidence.signing import fingerprint, generate, private_pem, public_pem

    private_path, public_path = Path(f"{out}.pem"), Path(f"{out}.pub.pem")
    if not force and (private_path.exists() or public_path.exists()):
        raise UsageError(f"{private_path} or {public_path} exists; pass --force to replace")
    key = generate()
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem(key))
        public_path.write_bytes(public_pem(key.public_key()))
    except OSError as e:
        raise UsageError(f"{out}: cannot write the key pair ({e.strerror})") from e
    print_fp = fingerprint(key.public_key())
    if ctx(typer_ctx).json_output:
        emit_json(
            {
                "private_key": str(private_path),
                "public_key": str(public_path),
                "fingerprint": print_fp,
            }
        )
    else:
        console().print(f"{private_path} (secret), {public_path}: {print_fp}", markup=False)


def _require(state: Context, action: str, train: str) -> None:
    from trainmaster.cli.authz_cmds import require, train_attributes

    require(state, action, f"train/{train}", **train_attributes(state, train))


def _evidence_dir(state: Context) -> Path:
    configured = Path(state.policy.evidence.dir)
    return configured if configured.is_absolute() else state.policy_path.parent / configured


def _signing_key(state: Context, key: Path | None) -> Ed25519PrivateKey | None:
    from trainmaster.evidence.signing import load_private_key, read_key_file, signing_key_from

    if key is not None:
        return load_private_key(read_key_file(key), str(key))
    settings = state.policy.evidence
    path = settings.signing_key_path
    if path and not Path(path).is_absolute():
        path = str(state.policy_path.parent / path)
    found = signing_key_from(path, settings.signing_key_env)
    if found is None:
        console(stderr=True).print(
            "warning: no signing key (evidence.signing_key_path / signing_key_env or --key); "
            "the bundle is not signed",
            markup=False,
        )
    return found


def _public_key(path: Path | None) -> Ed25519PublicKey | None:
    from trainmaster.evidence.signing import load_public_key, read_key_file

    return load_public_key(read_key_file(path), str(path)) if path else None


def _publish(
    state: Context,
    bundle: Path,
    repo: str | None,
    train: str,
    dry_run: bool,
    *,
    tag: str | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> dict[str, object]:
    from trainmaster.adapters.github import forge_for
    from trainmaster.evidence.publish import publish_bundle

    policy = state.policy
    target = repo or (policy.repos[0] if len(policy.repos) == 1 else None)
    if target is None:
        raise UsageError(
            f"which repository? pass --repo owner/name (the policy lists {len(policy.repos)})"
        )
    forge = forge_for(policy)
    if forge is None:
        raise UsageError("backends.forge is none: there is no release to attach the bundle to")
    done = publish_bundle(
        forge,
        state.store(),
        repo=target,
        tag=tag or _tag(state, train),
        bundle=bundle,
        actor=state.actor,
        dry_run=dry_run,
        public_key=public_key,
    )
    if not state.json_output:
        verb = "would" if dry_run else "did"
        console().print(f"{verb}: {done.plan.describe()}", markup=False)
        if done.url:
            console().print(done.url, markup=False)
    return {"plan": done.plan.describe(), "url": done.url, "dry_run": dry_run}


def _tag(state: Context, train: str) -> str:
    from trainmaster.store.models import TrainRow

    with state.store().transaction() as session:
        row = session.get(TrainRow, train)
        return row.tag if row is not None else train
