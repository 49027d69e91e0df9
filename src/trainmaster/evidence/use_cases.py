"""The evidence use cases: build a train's signed bundle, verify a bundle, publish it.

`build_bundle` asks the policy (`evidence.build`, and `evidence.publish` when it also publishes),
collects the train's record from the store, signs and audits it; `publish` asks
`evidence.publish`, verifies the bundle and attaches it to the train's release (idempotent,
audited); `verify` reads only and asks no one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainmaster.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from trainmaster.evidence.bundle import EvidenceBundle
    from trainmaster.evidence.verify import VerifyResult
    from trainmaster.ports import Backends


@dataclass(frozen=True)
class BuildInput:
    actor: str
    train: str
    out_dir: Path | None = None  # default: the policy's evidence.dir
    extra_files: Mapping[str, Path] = field(default_factory=dict)  # name in the bundle → file
    signing_key: Ed25519PrivateKey | None = None  # default: the policy's signing key, if any
    charts: bool = False  # chart golden signals at cut and promotion
    prometheus_url: str | None = None
    sbom_python: Path | None = None
    publish: bool = False  # also attach the bundle to the GitHub release
    repo: str | None = None
    dry_run: bool = False  # with publish: plan the upload only
    reason: str = ""


@dataclass(frozen=True)
class PublishInput:
    actor: str
    bundle: Path
    repo: str | None = None  # default: the policy's only repository
    tag: str | None = None  # default: the train's tag
    public_key: Ed25519PublicKey | None = None  # pin the signer
    dry_run: bool = False
    reason: str = ""


@dataclass(frozen=True)
class PublishResult:
    plan: str
    url: str | None
    dry_run: bool

    def as_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "url": self.url, "dry_run": self.dry_run}


@dataclass(frozen=True)
class BuildResult:
    bundle: EvidenceBundle
    published: PublishResult | None = None

    def as_json(self) -> dict[str, Any]:
        b = self.bundle
        return {
            "bundle": str(b.path),
            "markdown": str(b.markdown),
            "sha256": b.sha256,
            "files": list(b.files),
            "signer": b.signer_fingerprint,
            "notices": list(b.notices),
            "published": self.published.as_json() if self.published else None,
        }


def build_bundle(backends: Backends, request: BuildInput) -> BuildResult:
    """Collect a train's evidence into PRODUCTION_GO_EVIDENCE.md and a signed .tar.gz bundle."""
    from trainmaster.acting import ask
    from trainmaster.evidence.bundle import build_evidence

    target = f"train/{request.train}"
    ask(backends, request.actor, "evidence.build", target, request.reason, train=request.train)
    if request.publish and not request.dry_run:
        ask(
            backends, request.actor, "evidence.publish", target, request.reason, train=request.train
        )
    wants_charts = request.charts or request.prometheus_url
    bundle = build_evidence(
        backends.store,
        backends.policy,
        request.train,
        out_dir=request.out_dir or evidence_dir(backends),
        signing_key=request.signing_key or policy_signing_key(backends),
        metrics=backends.metrics(request.prometheus_url) if wants_charts else None,
        extra_files=request.extra_files,
        sbom_python=request.sbom_python,
        actor=request.actor,
    )
    if not request.publish:
        return BuildResult(bundle)
    upload = PublishInput(request.actor, bundle.path, request.repo, dry_run=request.dry_run)
    return BuildResult(bundle, _publish(backends, upload, request.train))


def verify(
    bundle: Path,
    public_key: Ed25519PublicKey | None = None,
    against: Backends | None = None,
    trusted_keys: list[str] | None = None,
) -> VerifyResult:
    """The signature, every file's SHA-256, the audit excerpt (and `against` a store, that the
    excerpt matches its chain): the result, or CheckFailed naming the first problem. Needs no
    policy unless it is checked against a store."""
    from trainmaster.evidence.verify import verify_bundle

    # whether the signer is trusted (pinned, or one of `trusted_keys`) is in result.key_source;
    # `evidence.verify.require_trusted` makes it the exit code
    result = verify_bundle(bundle, public_key, trusted_keys or [])
    if against is not None:
        from trainmaster.evidence.anchor import differences_with_store

        problems = differences_with_store(bundle, against.store)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise CheckFailed(f"evidence bundle {bundle.name}: {problems[0]}{more}")
    return result


def publish(backends: Backends, request: PublishInput) -> PublishResult:
    """Attach a verified bundle to the train's GitHub release (idempotent, audited)."""
    from trainmaster.acting import ask
    from trainmaster.evidence.verify import verify_bundle

    train = verify_bundle(request.bundle, request.public_key).train
    if not request.dry_run:
        target = f"train/{train}"
        ask(backends, request.actor, "evidence.publish", target, request.reason, train=train)
    return _publish(backends, request, train)


def _publish(backends: Backends, request: PublishInput, train: str) -> PublishResult:
    from trainmaster.evidence.publish import publish_bundle
    from trainmaster.train.queries import train_tag

    policy = backends.policy
    repo = request.repo or (policy.repos[0] if len(policy.repos) == 1 else None)
    if repo is None:
        raise UsageError(
            f"which repository? pass --repo owner/name (the policy lists {len(policy.repos)})"
        )
    forge = backends.forge()
    if forge is None:
        raise UsageError("backends.forge is none: there is no release to attach the bundle to")
    with backends.store.transaction() as session:
        tag = request.tag or train_tag(session, train)
    done = publish_bundle(
        forge,
        backends.store,
        repo=repo,
        tag=tag,
        bundle=request.bundle,
        actor=request.actor,
        dry_run=request.dry_run,
        public_key=request.public_key,
    )
    return PublishResult(done.plan.describe(), done.url, request.dry_run)


def evidence_dir(backends: Backends) -> Path:
    configured = Path(backends.policy.evidence.dir)
    return configured if configured.is_absolute() else backends.base_dir / configured


def policy_signing_key(backends: Backends) -> Ed25519PrivateKey | None:
    """The policy's key (evidence.signing_key_path, relative to the policy, or _env); None: the
    bundle is not signed (the result says so)."""
    from trainmaster.evidence.signing import signing_key_from

    settings = backends.policy.evidence
    path = settings.signing_key_path
    if path and not Path(path).is_absolute():
        path = str(backends.base_dir / path)
    return signing_key_from(path, settings.signing_key_env)
