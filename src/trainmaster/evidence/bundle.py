"""Build a train's evidence bundle: collect, write the report, sign the manifest, pack, audit.

`build_evidence` is the one entry point other features call; `verify_bundle` (in verify.py) is
re-exported here so callers need one import.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster import __version__
from trainmaster.audit.log import append_event
from trainmaster.config.model import Policy
from trainmaster.errors import UsageError
from trainmaster.evidence import archive, sbom
from trainmaster.evidence.contents import Contents, add_classified, extra_files, record_files, slug
from trainmaster.evidence.dashboards import gate_charts, moment_charts
from trainmaster.evidence.manifest import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    Manifest,
    entries,
    sha256_hex,
)
from trainmaster.evidence.record import TrainRecord, read_train
from trainmaster.evidence.report import REPORT, render_report
from trainmaster.evidence.verify import VerifyResult, verify_bundle
from trainmaster.gates.port import Metrics
from trainmaster.store import Store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["EvidenceBundle", "VerifyResult", "build_evidence", "bundle_name", "verify_bundle"]


@dataclass(frozen=True)
class EvidenceBundle:
    train_id: str
    path: Path  # the .tar.gz
    markdown: Path  # PRODUCTION_GO_EVIDENCE.md in the unpacked copy next to it
    directory: Path  # the unpacked copy, so the report's links work locally
    sha256: str
    files: tuple[str, ...]
    signer_fingerprint: str | None
    notices: tuple[str, ...]


def bundle_name(train_id: str) -> str:
    return f"evidence-{slug(train_id)}.tar.gz"


def build_evidence(
    store: Store,
    policy: Policy,
    train_id: str,
    *,
    out_dir: Path,
    signing_key: Ed25519PrivateKey | None,
    metrics: Metrics | None = None,
    extra_files: Mapping[str, Path] = {},
    sbom_python: Path | None = None,
    actor: str = "trainmaster",
    now: datetime | None = None,
) -> EvidenceBundle:
    """Collect everything about `train_id` into `out_dir`, sign it, and audit that it was built.

    `extra_files` maps a name in the bundle to a file: `sbom/…`, `tests/…` (JUnit) and
    `governance/…` say what the file is; other names are recognized by content.
    `sbom_python` makes an SBOM of that interpreter's environment with cyclonedx-py (slow).
    """
    moment = now or datetime.now(UTC)
    built_at = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    record = read_train(store, train_id)
    contents = _collect(record, policy, metrics, extra_files, sbom_python, moment)
    signer = _fingerprint(signing_key)
    report = render_report(
        record, contents, built_at=built_at, signer=signer, quorum=_quorum(policy, record)
    )
    contents.files[REPORT] = report.encode("utf-8")
    _redact_text_files(contents.files)
    if signing_key is not None:  # listed in the manifest: swapping it breaks the digests
        from trainmaster.evidence.signing import public_pem

        contents.files[PUBLIC_KEY] = public_pem(signing_key.public_key())
    manifest = Manifest(
        train=train_id,
        created_at=built_at,
        tool_version=__version__,
        files=entries(contents.files),
        audit=_audit_anchor(record),
        signer_fingerprint=signer,
    )
    files = {**contents.files, **_signed(manifest.to_bytes(), signing_key)}
    blob = archive.pack(files)
    bundle = _write(out_dir, train_id, blob, files)
    digest = sha256_hex(blob)
    with store.transaction() as session:
        append_event(
            session,
            actor=actor,
            action="evidence.build",
            target=f"train/{train_id}",
            reason="evidence bundle built",
            payload={
                "bundle": bundle.name,
                "sha256": digest,
                "signer": signer,
                "files": len(files),
            },
        )
    return EvidenceBundle(
        train_id=train_id,
        path=bundle,
        markdown=bundle.parent / _dir_name(train_id) / REPORT,
        directory=bundle.parent / _dir_name(train_id),
        sha256=digest,
        files=tuple(sorted(files)),
        signer_fingerprint=signer,
        notices=tuple(contents.notices),
    )


def _collect(
    record: TrainRecord,
    policy: Policy,
    metrics: Metrics | None,
    extras: Mapping[str, Path],
    sbom_python: Path | None,
    now: datetime,
) -> Contents:
    contents = Contents()
    record_files(record, contents)
    extra_files(extras, contents)
    if sbom_python is not None:
        add_classified(
            "sbom", "environment.cdx.json", sbom.generate(sbom_python), str(sbom_python), contents
        )
    if not contents.sbom:
        contents.notices.append("no SBOM: pass the file CI produced, or a Python environment")
    if not contents.tests:
        contents.notices.append("no test reports: pass the JUnit XML files CI produced")
    if not record.train.digest:
        contents.notices.append("the train has no artifact digest recorded")
    gate_charts(record, contents)
    if metrics is not None:
        moment_charts(record, policy, metrics, contents, now)
    return contents


_TEXT_SUFFIXES = (".json", ".md", ".txt", ".xml", ".csv", ".svg", ".log")


def _redact_text_files(files: dict[str, bytes]) -> None:
    """Pass every text file through the one redaction filter before it is listed and signed.
    The audit excerpt is left as stored: its events were redacted when appended, and changing a
    byte of it would break the chain it proves."""
    from trainmaster.redaction import redact

    for name, data in files.items():
        if name.endswith(_TEXT_SUFFIXES) and not name.startswith("audit/"):
            text = data.decode("utf-8", errors="surrogateescape")
            cleaned = redact(text)
            if cleaned != text:
                files[name] = cleaned.encode("utf-8", errors="surrogateescape")


def _quorum(policy: Policy, record: TrainRecord) -> dict[str, int]:
    """Approvals each stage required of this train: the train service's own rules (a hotfix
    lane may lower the quorum), so the summary judges by what was enforced."""
    from trainmaster.train.rules import stage_rules

    return {rules.name: rules.quorum for rules in stage_rules(policy, record.train.kind)}


def _audit_anchor(record: TrainRecord) -> dict[str, object]:
    events = record.audit.events
    return {
        "file": "audit/events.json",
        "start_prev": record.audit.start_prev,
        "first_seq": events[0].seq if events else None,
        "last_seq": events[-1].seq if events else None,
        "last_hash": events[-1].hash if events else None,
    }


def _fingerprint(key: Ed25519PrivateKey | None) -> str | None:
    if key is None:
        return None
    from trainmaster.evidence.signing import fingerprint

    return fingerprint(key.public_key())


def _signed(manifest: bytes, key: Ed25519PrivateKey | None) -> dict[str, bytes]:
    files = {MANIFEST: manifest}
    if key is not None:
        files[SIGNATURE] = base64.b64encode(key.sign(manifest)) + b"\n"
    return files


def _dir_name(train_id: str) -> str:
    return bundle_name(train_id).removesuffix(".tar.gz")


def _write(out_dir: Path, train_id: str, blob: bytes, files: Mapping[str, bytes]) -> Path:
    """Write the bundle atomically, then the unpacked copy beside it."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / bundle_name(train_id)
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".bundle-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, target)
        unpacked = out_dir / _dir_name(train_id)
        # A rebuild replaces the copy whole: a stale chart must not sit beside the new report.
        shutil.rmtree(unpacked, ignore_errors=True)
        for name, data in files.items():
            path = unpacked / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except OSError as e:
        raise UsageError(f"{out_dir}: cannot write the evidence bundle ({e.strerror})") from e
    return target
