"""Building and verifying a train's evidence bundle, and detecting any tampering."""

from __future__ import annotations

import io
import json
import re
import tarfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.evidence.factory import DIGEST, seed_train, write_junit, write_sbom
from trainmaster.audit.log import AuditLog
from trainmaster.config.loader import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import CheckFailed, UsageError
from trainmaster.evidence import archive
from trainmaster.evidence.bundle import EvidenceBundle, build_evidence, verify_bundle
from trainmaster.gates.port import Series
from trainmaster.store import Store, open_store

KEY = Ed25519PrivateKey.generate()


def _build(store: Store, out: Path, key: Ed25519PrivateKey | None = KEY) -> EvidenceBundle:
    extra = {
        "sbom/app.cdx.json": write_sbom(out.parent / "bom.json"),
        "tests/unit.xml": write_junit(out.parent / "junit.xml"),
        "plan.txt": out.parent / "missing-file.txt",
    }
    return build_evidence(
        store,
        parse_policy(seed_policy_text()),
        "v1.4.0",
        out_dir=out,
        signing_key=key,
        extra_files=extra,
        actor="captain",
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> EvidenceBundle:
    base = tmp_path_factory.mktemp("bundle")
    store = open_store(f"sqlite:///{base / 'state.db'}", base, upgrade=True)
    seed_train(store)
    bundle = _build(store, base / "out")
    store.dispose()
    return bundle


def test_bundle_holds_every_item_and_verifies_on_both_stores(store: Store, tmp_path: Path) -> None:
    seed_train(store)
    bundle = _build(store, tmp_path / "out")
    names = set(bundle.files)
    for expected in [
        "PRODUCTION_GO_EVIDENCE.md",
        "manifest.json",
        "manifest.sig",
        "signing-key.pub.pem",
        "train.json",
        "approvals.json",
        "audit/events.json",
        "sbom/app.cdx.json",
        "tests/unit.xml",
        "governance/at-cut.json",
        "governance/applied-before-cut.json",
    ]:
        assert expected in names
    assert any(n.startswith("charts/stage-rollout-gate") and n.endswith(".png") for n in names)
    assert any(n.startswith("gates/stage-smoke") for n in names)
    result = verify_bundle(bundle.path, KEY.public_key())
    assert result.key_source == "pinned" and result.train == "v1.4.0"
    assert result.signer_fingerprint == bundle.signer_fingerprint
    report = bundle.markdown.read_text()
    summary = report.split("## Release")[0]
    assert "promoted: prod by alice" in summary and '"quorum met"' in summary
    assert "approvals for prod: bob, carol (2 of 2 required: met)" in summary
    assert DIGEST in report and "reviewed the diff" in report and "gates green \\| canary" in report
    # The build itself is on the record, naming the bundle's digest.
    last = list(AuditLog(store).events(action="evidence.build"))[-1]
    assert json.loads(last.payload)["sha256"] == bundle.sha256 and last.actor == "captain"


def test_report_links_every_file_and_names_gaps(built: EvidenceBundle) -> None:
    report = built.markdown.read_text()
    for name in built.files:
        if name.split("/")[0] in ("gates", "charts", "sbom", "tests", "governance", "audit"):
            assert f"]({name})" in report, name
    assert "missing-file.txt: cannot read" in report
    assert "12 tests, 0 failures" in report
    assert (built.directory / "charts").is_dir()


def test_audit_excerpt_is_contiguous_and_anchored(built: EvidenceBundle) -> None:
    files = archive.unpack(archive.gunzip(built.path.read_bytes()))
    body = json.loads(files["audit/events.json"])
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == list(range(seqs[0], seqs[-1] + 1))
    assert seqs[0] == 2  # the governance event before the cut is not part of the train
    actions = {e["action"] for e in body["events"] if e["seq"] in body["train_seqs"]}
    assert actions == {"train.cut", "approve", "promote"}  # v1.4.01 is another train
    assert body["start_prev"] != "0" * 64


def _repack(files: dict[str, bytes]) -> bytes:
    return archive.pack(files)


@pytest.mark.parametrize(
    "member",
    [
        "PRODUCTION_GO_EVIDENCE.md",
        "audit/events.json",
        "approvals.json",
        "sbom/app.cdx.json",
        "manifest.json",
    ],
)
def test_flipping_a_byte_in_any_file_names_it(
    built: EvidenceBundle, tmp_path: Path, member: str
) -> None:
    files = archive.unpack(archive.gunzip(built.path.read_bytes()))
    data = bytearray(files[member])
    data[len(data) // 2] ^= 0x01
    files[member] = bytes(data)
    tampered = tmp_path / "t.tar.gz"
    tampered.write_bytes(_repack(files))
    with pytest.raises(CheckFailed, match=re.escape(member)):
        verify_bundle(tampered, KEY.public_key())


def test_rewritten_audit_chain_with_fixed_digests_still_fails(
    built: EvidenceBundle, tmp_path: Path
) -> None:
    """An editor who also updates the manifest digest (unsigned) is caught by the chain."""
    from trainmaster.evidence.manifest import entries, parse_manifest

    files = archive.unpack(archive.gunzip(built.path.read_bytes()))
    body = json.loads(files["audit/events.json"])
    body["events"][1]["reason"] = "nobody approved this"
    files["audit/events.json"] = json.dumps(body).encode()
    manifest = parse_manifest(files["manifest.json"])
    from dataclasses import replace

    for name in ("manifest.sig", "signing-key.pub.pem"):  # the key file is listed: drop it first
        del files[name]
    fixed = replace(
        manifest, files=entries({k: v for k, v in files.items()}), signer_fingerprint=None
    )
    files["manifest.json"] = fixed.to_bytes()
    tampered = tmp_path / "t.tar.gz"
    tampered.write_bytes(_repack(files))
    with pytest.raises(
        CheckFailed, match=re.escape("audit/events.json: audit chain broken at seq 3")
    ):
        verify_bundle(tampered)
    with pytest.raises(CheckFailed, match=re.escape("manifest.sig: missing")):
        verify_bundle(tampered, KEY.public_key())


def test_any_byte_of_the_archive_is_covered(built: EvidenceBundle, tmp_path: Path) -> None:
    blob = built.path.read_bytes()
    # Every byte of the gzip header and trailer, and a spread of bytes in between.
    positions = sorted(
        {
            *range(10),
            *range(len(blob) - 8, len(blob)),
            *range(10, len(blob) - 8, max(1, len(blob) // 97)),
        }
    )
    target = tmp_path / "t.tar.gz"
    for pos in positions:
        flipped = bytearray(blob)
        flipped[pos] ^= 0x04
        target.write_bytes(bytes(flipped))
        with pytest.raises(CheckFailed):
            verify_bundle(target)
    target.write_bytes(blob + b"\0")
    with pytest.raises(CheckFailed, match="after the gzip stream"):
        verify_bundle(target)


def test_repacked_archive_with_other_metadata_fails(built: EvidenceBundle, tmp_path: Path) -> None:
    files = archive.unpack(archive.gunzip(built.path.read_bytes()))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    target = tmp_path / "t.tar.gz"
    target.write_bytes(buffer.getvalue())
    with pytest.raises(CheckFailed, match=re.escape("t.tar.gz: tar headers")):
        verify_bundle(target)


def test_extra_member_is_named(built: EvidenceBundle, tmp_path: Path) -> None:
    files = archive.unpack(archive.gunzip(built.path.read_bytes()))
    files["charts/extra.png"] = b"\x89PNG"
    target = tmp_path / "t.tar.gz"
    target.write_bytes(_repack(files))
    with pytest.raises(
        CheckFailed, match=re.escape("charts/extra.png: in the bundle but not listed")
    ):
        verify_bundle(target)


def test_other_key_is_refused_and_embedded_key_is_reported(built: EvidenceBundle) -> None:
    with pytest.raises(CheckFailed, match="not by the pinned key"):
        verify_bundle(built.path, Ed25519PrivateKey.generate().public_key())
    assert verify_bundle(built.path).key_source == "embedded"


def test_unsigned_bundle_verifies_only_without_a_pinned_key(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}", tmp_path, upgrade=True)
    seed_train(store)
    bundle = _build(store, tmp_path / "out", key=None)
    store.dispose()
    assert verify_bundle(bundle.path).key_source == "unsigned"
    assert "not signed" in bundle.markdown.read_text()
    with pytest.raises(CheckFailed, match="not signed"):
        verify_bundle(bundle.path, KEY.public_key())


def test_unknown_train_and_non_bundles_are_clear_errors(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}", tmp_path, upgrade=True)
    with pytest.raises(UsageError, match="no train 'v9'"):
        build_evidence(
            store, parse_policy(seed_policy_text()), "v9", out_dir=tmp_path, signing_key=None
        )
    store.dispose()
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not gzip")
    with pytest.raises(CheckFailed, match=re.escape("junk.tar.gz: corrupt gzip")):
        verify_bundle(junk)
    with pytest.raises(UsageError, match="cannot read"):
        verify_bundle(tmp_path / "absent.tar.gz")


class FakeMetrics:
    def __init__(self, fail: bool = False) -> None:
        self.queries: list[str] = []
        self.fail = fail

    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[Series]:
        from trainmaster.errors import ExternalError

        self.queries.append(query)
        if self.fail:
            raise ExternalError("prometheus: connection refused", temporary=True)
        t0 = start.timestamp()
        return [Series({"service": "maestro"}, tuple((t0 + 60 * i, 0.1 * i) for i in range(30)))]


def test_charts_at_cut_and_promotion_from_metrics(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}", tmp_path, upgrade=True)
    seed_train(store)
    metrics = FakeMetrics()
    bundle = build_evidence(
        store,
        parse_policy(seed_policy_text()),
        "v1.4.0",
        out_dir=tmp_path / "out",
        signing_key=None,
        metrics=metrics,
    )
    assert "charts/cut-stage.png" in bundle.files and "charts/promotion-prod.png" in bundle.files
    assert "charts/prod-error-rate-3.png" in bundle.files  # single-signal gate row, ISO points
    assert metrics.queries and not any("$service" in q or "$window" in q for q in metrics.queries)
    report = bundle.markdown.read_text()
    assert (
        "cut: [charts/cut-stage.png]" in report
        and "promotion: [charts/promotion-prod.png]" in report
    )
    png = (bundle.directory / "charts/cut-stage.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    failing = build_evidence(
        store,
        parse_policy(seed_policy_text()),
        "v1.4.0",
        out_dir=tmp_path / "out2",
        signing_key=None,
        metrics=FakeMetrics(fail=True),
    )
    store.dispose()
    assert not any(n.startswith("charts/cut") for n in failing.files)
    assert any("connection refused" in n for n in failing.notices)
    assert verify_bundle(failing.path).files == len(failing.files) - 1  # all but the manifest


def test_points_accept_unix_seconds_iso_and_gaps() -> None:
    from trainmaster.evidence.charts import points_of

    got = points_of([[60, 1], ["1970-01-01T00:02:00Z", "nan"], ["bad", 2], [180, None], "x"])
    assert got[0] == (60.0, 1.0) and got[1][0] == 120.0 and len(got) == 3


def test_sbom_made_by_cyclonedx_py_for_a_python_environment(tmp_path: Path) -> None:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True
    )
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}", tmp_path, upgrade=True)
    seed_train(store)
    not_a_bom = tmp_path / "bom.json"
    not_a_bom.write_text('{"spdxVersion": "SPDX-2.3"}')
    bundle = build_evidence(
        store,
        parse_policy(seed_policy_text()),
        "v1.4.0",
        out_dir=tmp_path / "out",
        signing_key=None,
        sbom_python=tmp_path / "env/bin/python",
        extra_files={"sbom/bom.json": not_a_bom},
    )
    store.dispose()
    assert "sbom/environment.cdx.json" in bundle.files and "sbom/bom.json" not in bundle.files
    assert any("not a CycloneDX SBOM" in n for n in bundle.notices)
    report = bundle.markdown.read_text()
    assert "[sbom/environment.cdx.json](sbom/environment.cdx.json): CycloneDX 1." in report


def test_a_bundle_without_its_audit_trail_is_not_evidence(
    built: EvidenceBundle, tmp_path: Path
) -> None:
    """Dropping a file and its manifest line, re-signed by someone else's key, still fails."""
    from dataclasses import replace

    from trainmaster.evidence.manifest import entries, parse_manifest

    other = Ed25519PrivateKey.generate()
    files = archive.unpack(archive.gunzip(built.path.read_bytes()))
    del files["audit/events.json"]
    from trainmaster.evidence.signing import fingerprint, public_pem

    files["signing-key.pub.pem"] = public_pem(other.public_key())  # listed: swapped before listing
    manifest = replace(
        parse_manifest(files["manifest.json"]),
        files=entries(files),
        signer_fingerprint=fingerprint(other.public_key()),
    )
    files["manifest.json"] = manifest.to_bytes()
    import base64

    files["manifest.sig"] = base64.b64encode(other.sign(files["manifest.json"])) + b"\n"
    target = tmp_path / "t.tar.gz"
    target.write_bytes(archive.pack(files))
    with pytest.raises(CheckFailed, match=re.escape("audit/events.json: missing from the bundle")):
        verify_bundle(target)
    with pytest.raises(CheckFailed, match="not by the pinned key"):
        verify_bundle(target, KEY.public_key())
