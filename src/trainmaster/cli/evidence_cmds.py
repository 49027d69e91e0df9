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

    from trainmaster.evidence.use_cases import BuildResult, PublishResult
    from trainmaster.evidence.verify import VerifyResult

evidence_app = typer.Typer(help="Evidence bundles: build, verify, publish.", no_args_is_help=True)

Bundle = Annotated[Path, typer.Argument(help="The .tar.gz bundle.")]
PublicKeyOption = Annotated[
    Path | None, typer.Option("--public-key", help="Pin the signer: its PEM public key.")
]


# The options of `build`, named once.
Train = Annotated[str, typer.Argument(help="Train id, e.g. v1.4.0.")]
Out = Annotated[Path | None, typer.Option(help="Folder (default: policy evidence.dir).")]
Sbom = Annotated[Path | None, typer.Option(help="CycloneDX JSON SBOM from CI.")]
SbomPython = Annotated[
    Path | None, typer.Option(help="Make the SBOM of this Python's environment (slow).")
]
Junit = Annotated[
    list[Path] | None, typer.Option(metavar="FILE", help="JUnit XML report (repeatable).")
]
Governance = Annotated[
    list[Path] | None,
    typer.Option(metavar="FILE", help="Governance plan/drift output (repeatable)."),
]
Include = Annotated[
    list[Path] | None, typer.Option(metavar="FILE", help="Any other file (repeatable).")
]
Key = Annotated[Path | None, typer.Option(help="Ed25519 PEM private key to sign with.")]
Charts = Annotated[
    bool, typer.Option(help="Chart golden signals at cut and promotion from Prometheus.")
]
Prometheus = Annotated[str | None, typer.Option(help="Prometheus URL for --charts.")]
Publish = Annotated[bool, typer.Option(help="Attach the bundle to the GitHub release.")]
Repo = Annotated[str | None, typer.Option(help="owner/name (default: the policy's repo).")]
PublishDryRun = Annotated[bool, typer.Option("--dry-run", help="With --publish: plan only.")]
AgainstStore = Annotated[
    bool, typer.Option(help="Also match the audit excerpt with the policy's store.")
]
KeyPair = Annotated[Path, typer.Option(help="Writes OUT.pem and OUT.pub.pem.")]
Overwrite = Annotated[bool, typer.Option(help="Overwrite existing files.")]


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")


@evidence_app.command("build")
def build(typer_ctx: typer.Context, train: Train, out: Out = None, sbom: Sbom = None,
          sbom_python: SbomPython = None, junit: Junit = None, governance: Governance = None,
          include: Include = None, key: Key = None, charts: Charts = False,
          prometheus: Prometheus = None, publish: Publish = False, repo: Repo = None,
          dry_run: PublishDryRun = False) -> None:  # fmt: skip
    """Collect a train's evidence into PRODUCTION_GO_EVIDENCE.md and a signed .tar.gz bundle."""
    from trainmaster.evidence.use_cases import BuildInput, build_bundle

    state = ctx(typer_ctx)
    files = {"sbom": [sbom] if sbom else [], "tests": junit, "governance": governance, "": include}
    request = BuildInput(
        state.actor, train, out, _slots(files), _private_key(key), charts, prometheus, sbom_python,
        publish, repo, dry_run,
    )  # fmt: skip
    result = build_bundle(state.app(), request)
    bundle = result.bundle
    # In GitHub Actions the job summary shows the report's bottom line.
    bottom_line = bundle.markdown.read_text(encoding="utf-8").split("## Release")[0]
    step_summary(f"{bottom_line.rstrip()}\n\nBundle: `{bundle.path.name}` (sha256 {bundle.sha256})")
    if state.json_output:
        emit_json(result.as_json())
        return
    _show_build(result)


def _slots(groups: dict[str, list[Path] | None]) -> dict[str, Path]:
    """Each file's name in the bundle: `sbom/…`, `tests/…`, `governance/…`, or its own name."""
    extra: dict[str, Path] = {}
    for folder, files in groups.items():
        for n, file in enumerate(files or [], start=1):
            slot = f"{folder}/{file.name}" if folder else file.name
            # Two reports may share a name (a/junit.xml, b/junit.xml): keep both.
            extra[slot if slot not in extra else f"{slot}#{n}"] = file
    return extra


def _show_build(result: BuildResult) -> None:
    bundle, out = result.bundle, console()
    if not bundle.signer_fingerprint:
        console(stderr=True).print(
            "warning: no signing key (evidence.signing_key_path / signing_key_env or --key); "
            "the bundle is not signed",
            markup=False,
        )
    for notice in bundle.notices:
        out.print(f"notice: {notice}", markup=False)
    if result.published is not None:
        _show_published(result.published)
    signed = f"signed by {bundle.signer_fingerprint}" if bundle.signer_fingerprint else "UNSIGNED"
    out.print(f"{bundle.path} ({len(bundle.files)} files, {signed})", markup=False)
    out.print(f"{bundle.markdown}", markup=False)


@evidence_app.command("verify")
def verify(typer_ctx: typer.Context, bundle: Bundle, public_key: PublicKeyOption = None,
           against_store: AgainstStore = False) -> None:  # fmt: skip
    """Check the signature, every file's SHA-256, the audit chain excerpt and the archive itself:
    exit 0, 1 naming the tampered file, or 3 when no trusted key checked the signature."""
    from trainmaster.evidence import use_cases
    from trainmaster.evidence.verify import require_trusted

    state = ctx(typer_ctx)
    against = state.app() if against_store else None
    result = use_cases.verify(bundle, _public_key(public_key), against, _trusted_keys(state))
    trust = {
        "pinned": f"signed by {result.signer_fingerprint} (the pinned key)",
        "embedded": f"signed by {result.signer_fingerprint}, the key shipped inside the bundle; "
        "pass --public-key to check who signed",
        "unsigned": "NOT SIGNED: digests and chain only prove consistency",
    }[result.key_source]
    if state.json_output:
        emit_json(_verified_json(result))
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


def _verified_json(result: VerifyResult) -> dict[str, object]:
    return {
        "ok": True if result.key_source == "pinned" else None,
        "train": result.train,
        "created_at": result.created_at,
        "files": result.files,
        "signer": result.signer_fingerprint,
        "key_source": result.key_source,
        "audit_events": result.audit_events,
    }


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
    from trainmaster.evidence.use_cases import PublishInput, publish

    state = ctx(typer_ctx)
    request = PublishInput(state.actor, bundle, repo, tag, _public_key(public_key), dry_run)
    published = publish(state.app(), request)
    if state.json_output:
        emit_json(published.as_json())
    else:
        _show_published(published)


def _show_published(published: PublishResult) -> None:
    console().print(f"{'would' if published.dry_run else 'did'}: {published.plan}", markup=False)
    if published.url:
        console().print(published.url, markup=False)


@evidence_app.command("keygen")
def keygen(typer_ctx: typer.Context, out: KeyPair = Path("evidence-signing"),
           force: Overwrite = False) -> None:  # fmt: skip
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


def _private_key(key: Path | None) -> Ed25519PrivateKey | None:
    from trainmaster.evidence.signing import load_private_key, read_key_file

    return load_private_key(read_key_file(key), str(key)) if key is not None else None


def _public_key(path: Path | None) -> Ed25519PublicKey | None:
    from trainmaster.evidence.signing import load_public_key, read_key_file

    return load_public_key(read_key_file(path), str(path)) if path else None
