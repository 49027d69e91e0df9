"""Honest evidence verification: without a trusted key the answer is "inconclusive" (exit 3),
never a pass; a forged, an unsigned and a tail-truncated bundle are each refused; the bundled
public key is covered by the manifest; a hostile manifest is a finding, not a traceback."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.evidence.test_cli import _policy
from trainmaster.evidence import archive
from trainmaster.evidence.manifest import PUBLIC_KEY, SIGNATURE, entries, parse_manifest
from trainmaster.evidence.signing import fingerprint, public_pem

BUNDLE = "evidence/evidence-v1.4.0.tar.gz"
UNTRUSTED = "signature not checked against a trusted key"


@pytest.fixture
def signed(cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    _policy(tmp_path)
    assert cli("evidence", "keygen", "--out", "signer").code == 0
    assert cli("evidence", "build", "v1.4.0", "--key", "signer.pem").code == 0
    return tmp_path / BUNDLE


def _files(bundle: Path) -> dict[str, bytes]:
    return archive.unpack(archive.gunzip(bundle.read_bytes()))


def _write(bundle: Path, files: dict[str, bytes]) -> str:
    target = bundle.with_name("tampered.tar.gz")
    target.write_bytes(archive.pack(files))
    return str(target)


def _resign(files: dict[str, bytes], key: Ed25519PrivateKey | None) -> dict[str, bytes]:
    """What a forger does: re-list every file, then sign with their own key (or strip it)."""
    from dataclasses import replace

    files = dict(files)
    files.pop(SIGNATURE, None)
    files.pop(PUBLIC_KEY, None)
    if key is not None:
        files[PUBLIC_KEY] = public_pem(key.public_key())
    manifest = parse_manifest(files["manifest.json"])
    manifest = replace(
        manifest,
        files=entries(files),
        signer_fingerprint=fingerprint(key.public_key()) if key else None,
    )
    files["manifest.json"] = manifest.to_bytes()
    if key is not None:
        files[SIGNATURE] = base64.b64encode(key.sign(files["manifest.json"])) + b"\n"
    return files


def test_an_intact_bundle_without_a_pinned_key_is_inconclusive(cli, signed: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("evidence", "verify", str(signed))
    assert result.code == 3
    assert UNTRUSTED in result.err
    pinned = cli("evidence", "verify", str(signed), "--public-key", "signer.pub.pem")
    assert pinned.code == 0 and "the pinned key" in pinned.out


def test_a_key_listed_in_the_policy_is_trusted(cli, signed: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = (tmp_path / "signer.pub.pem").read_bytes()
    from trainmaster.evidence.signing import load_public_key

    print_fp = fingerprint(load_public_key(key, "k"))
    policy = tmp_path / "trainmaster.yaml"
    text = policy.read_text()
    assert "\nevidence:\n" in text
    policy.write_text(
        text.replace("\nevidence:\n", f"\nevidence:\n  trusted_keys: ['{print_fp}']\n")
    )
    assert cli("evidence", "verify", str(signed)).code == 0
    forged = _write(signed, _resign(_files(signed), Ed25519PrivateKey.generate()))
    assert cli("evidence", "verify", forged).code == 1


def test_a_forged_bundle_is_refused(cli, signed: Path) -> None:  # type: ignore[no-untyped-def]
    forged = _write(signed, _resign(_files(signed), Ed25519PrivateKey.generate()))
    unpinned = cli("evidence", "verify", forged)
    assert unpinned.code == 3 and UNTRUSTED in unpinned.err
    pinned = cli("evidence", "verify", forged, "--public-key", "signer.pub.pem")
    assert pinned.code == 1 and "not by the pinned key" in pinned.err


def test_an_unsigned_bundle_is_refused(cli, signed: Path) -> None:  # type: ignore[no-untyped-def]
    stripped = _write(signed, _resign(_files(signed), None))
    unpinned = cli("evidence", "verify", stripped)
    assert unpinned.code == 3 and "NOT SIGNED" in unpinned.err
    pinned = cli("evidence", "verify", stripped, "--public-key", "signer.pub.pem")
    assert pinned.code == 1 and "not signed" in pinned.err


def test_a_tail_truncated_bundle_is_refused(cli, signed: Path) -> None:  # type: ignore[no-untyped-def]
    blob = signed.read_bytes()
    for cut in (1, 9, len(blob) // 2):
        signed.with_name("cut.tar.gz").write_bytes(blob[:-cut])
        result = cli(
            "evidence",
            "verify",
            str(signed.with_name("cut.tar.gz")),
            "--public-key",
            "signer.pub.pem",
        )
        assert result.code == 1, cut
        assert "truncated" in result.err or "corrupt" in result.err


def test_replacing_the_bundled_public_key_is_caught_by_the_manifest(cli, signed: Path) -> None:  # type: ignore[no-untyped-def]
    files = _files(signed)
    assert PUBLIC_KEY in {entry.path for entry in parse_manifest(files["manifest.json"]).files}
    files[PUBLIC_KEY] = public_pem(Ed25519PrivateKey.generate().public_key())
    result = cli("evidence", "verify", _write(signed, files), "--public-key", "signer.pub.pem")
    assert result.code == 1 and PUBLIC_KEY in result.err


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signing", "ed25519"),
        ("files", "all"),
        ("audit", "x"),
        ("files", [{"path": 1}]),
        ("train", {}),
    ],
)
def test_a_manifest_with_a_wrong_type_is_a_failure_not_a_traceback(  # type: ignore[no-untyped-def]
    cli, signed: Path, field: str, value: object
) -> None:
    files = _files(signed)
    body = json.loads(files["manifest.json"])
    body[field] = value
    files["manifest.json"] = json.dumps(body).encode()
    result = cli("evidence", "verify", _write(signed, files), "--public-key", "signer.pub.pem")
    assert result.code == 1, result.err
    assert "manifest.json" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("seq", ["2", None, 1.5, True, 10**30])
def test_an_audit_excerpt_with_a_wrong_seq_is_refused(cli, signed: Path, seq: object) -> None:  # type: ignore[no-untyped-def]
    files = _files(signed)
    body = json.loads(files["audit/events.json"])
    body["events"][0]["seq"] = seq
    files["audit/events.json"] = json.dumps(body).encode()
    result = cli("evidence", "verify", _write(signed, _resign(files, None)))
    assert result.code == 1, result.err
    assert "audit/events.json: not an audit excerpt" in result.err


def test_too_many_members_are_refused_before_reading_them(cli, signed: Path) -> None:  # type: ignore[no-untyped-def]
    files = _files(signed)
    files.update({f"junk/{i}": b"" for i in range(archive.MAX_MEMBERS + 1)})
    result = cli("evidence", "verify", _write(signed, files))
    assert result.code == 1
    assert f"more than {archive.MAX_MEMBERS} members" in result.err
