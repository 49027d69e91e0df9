"""Attach a verified evidence bundle to the train's GitHub release through the forge port.

Planned first (`plan_publish` says what would happen; `--dry-run` stops there), applied
idempotently (the forge skips an identical asset), and audited with the bundle's SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.audit.log import append_event
from trainmaster.errors import UsageError
from trainmaster.evidence.manifest import sha256_hex
from trainmaster.evidence.verify import verify_bundle
from trainmaster.forge import Forge, ReleaseRef
from trainmaster.store import Store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


@dataclass(frozen=True)
class PublishPlan:
    repo: str
    tag: str
    release: ReleaseRef
    bundle: Path
    sha256: str
    train: str

    def describe(self) -> str:
        draft = " (draft)" if self.release.draft else ""
        return (
            f"upload {self.bundle.name} (sha256 {self.sha256[:12]}…) to release {self.tag}{draft} "
            f"of {self.repo} (id {self.release.id})"
        )


@dataclass(frozen=True)
class Published:
    plan: PublishPlan
    url: str | None  # None on a dry run


def plan_publish(
    forge: Forge,
    *,
    repo: str,
    tag: str,
    bundle: Path,
    public_key: Ed25519PublicKey | None = None,
) -> PublishPlan:
    """Verify the bundle and find the release; nothing is changed."""
    result = verify_bundle(bundle, public_key)
    release = forge.find_release(repo, tag)
    if release is None:
        raise UsageError(f"no GitHub release for tag {tag} in {repo}: publish the release first")
    digest = sha256_hex(bundle.read_bytes())
    return PublishPlan(repo, tag, release, bundle, digest, result.train)


def publish_bundle(
    forge: Forge,
    store: Store,
    *,
    repo: str,
    tag: str,
    bundle: Path,
    actor: str,
    dry_run: bool = False,
    public_key: Ed25519PublicKey | None = None,
) -> Published:
    plan = plan_publish(forge, repo=repo, tag=tag, bundle=bundle, public_key=public_key)
    if dry_run:
        return Published(plan, None)
    url = forge.upload_release_asset(repo, plan.release.id, bundle, name=bundle.name)
    with store.transaction() as session:
        append_event(
            session,
            actor=actor,
            action="evidence.publish",
            target=f"train/{plan.train}",
            reason=f"evidence attached to release {tag}",
            payload={
                "repo": repo,
                "tag": tag,
                "release_id": plan.release.id,
                "asset": bundle.name,
                "sha256": plan.sha256,
                "url": url,
            },
        )
    return Published(plan, url)
