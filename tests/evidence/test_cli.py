"""`trainmaster evidence …` end to end: build, verify, keygen, publish (fake forge and the GitHub
emulator)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.emulators.github.fixtures import GitHubEmulator
from tests.evidence.factory import seed_train, write_junit, write_sbom
from trainmaster.audit.log import AuditLog
from trainmaster.config.seed import seed_policy_text
from trainmaster.forge import ReleaseRef
from trainmaster.store import open_store

REPO = "acme/maestro"


def _policy(tmp_path: Path, api_url: str = "https://api.github.com") -> None:
    text = seed_policy_text(owner="acme", repo="maestro")
    text = text.replace("https://api.github.com      #", f"{api_url}      #")
    (tmp_path / "trainmaster.yaml").write_text(text)
    store = open_store("sqlite:///.trainmaster/state.db", tmp_path)
    seed_train(store)
    store.dispose()


def test_keygen_build_verify_round_trip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _policy(tmp_path)
    keys = cli("evidence", "keygen", "--out", "signer")
    assert keys.code == 0 and (tmp_path / "signer.pem").stat().st_mode & 0o077 == 0
    assert cli("evidence", "keygen", "--out", "signer").code == 2  # never overwrite a key
    built = cli(
        "--json",
        "evidence",
        "build",
        "v1.4.0",
        "--key",
        "signer.pem",
        "--sbom",
        str(write_sbom(tmp_path / "bom.json")),
        "--junit",
        str(write_junit(tmp_path / "unit.xml")),
        "--junit",
        str(write_junit((tmp_path / "e2e").mkdir() or tmp_path / "e2e" / "unit.xml", failures=2)),
    )
    assert built.code == 0, built.err
    out = json.loads(built.out)
    bundle = Path(out["bundle"])
    assert bundle.resolve().parent == tmp_path / "evidence"  # the evidence.dir of the policy
    assert {"sbom/bom.json", "tests/unit.xml", "tests/unit-2.xml"} <= set(out["files"])
    fp = re.search(r"SHA256:[0-9a-f]{64}", keys.out)
    assert fp and out["signer"] == fp.group(0)
    ok = cli("evidence", "verify", str(bundle), "--public-key", "signer.pub.pem")
    assert ok.code == 0 and "the pinned key" in ok.out
    embedded = cli("evidence", "verify", str(bundle))  # intact, but nobody vouched for the key
    assert embedded.code == 3 and "pass --public-key" in embedded.out
    assert "signature not checked against a trusted key" in embedded.err


def test_verify_names_the_tampered_file_with_exit_1(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from trainmaster.evidence import archive

    _policy(tmp_path)
    cli("evidence", "keygen", "--out", "signer")
    assert cli("evidence", "build", "v1.4.0", "--key", "signer.pem").code == 0
    bundle = tmp_path / "evidence" / "evidence-v1.4.0.tar.gz"
    files = archive.unpack(archive.gunzip(bundle.read_bytes()))
    files["approvals.json"] = files["approvals.json"].replace(b"carol", b"carl!")
    bundle.write_bytes(archive.pack(files))
    bad = cli("evidence", "verify", str(bundle), "--public-key", "signer.pub.pem")
    assert bad.code == 1 and "approvals.json" in bad.err and "Traceback" not in bad.err


def test_signing_key_from_the_environment_is_redacted(
    cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _policy(tmp_path)
    text = (tmp_path / "trainmaster.yaml").read_text()
    text = re.sub(
        r"evidence:\n  dir: evidence",
        "evidence:\n  dir: evidence\n  signing_key_env: EVIDENCE_KEY",
        text,
    )
    (tmp_path / "trainmaster.yaml").write_text(text)
    monkeypatch.setenv("EVIDENCE_KEY", "-----BEGIN PRIVATE KEY-----\nnot really a key\n")
    bad = cli("evidence", "build", "v1.4.0")
    assert bad.code == 2 and "$EVIDENCE_KEY: not an unencrypted PEM private key" in bad.err
    assert "not really a key" not in bad.err + bad.out


def test_unsigned_build_warns_and_unknown_train_is_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _policy(tmp_path)
    built = cli("evidence", "build", "v1.4.0")
    assert built.code == 0 and "not signed" in built.err
    assert cli("evidence", "build", "v0.0.1").code == 2
    assert cli("evidence", "verify", "nope.tar.gz").code == 2


class FakeForge:
    def __init__(self) -> None:
        self.uploads: list[tuple[str, int, str, bytes]] = []

    def close(self) -> None:
        """Nothing held."""

    def find_release(self, repo: str, tag: str) -> ReleaseRef | None:
        return ReleaseRef(7, tag, f"https://example.invalid/{repo}/releases/{tag}", True)

    def upload_release_asset(
        self,
        repo: str,
        release_id: int,
        path: Path,
        *,
        name: str | None = None,
        content_type: str = "application/gzip",
    ) -> str:
        self.uploads.append((repo, release_id, name or path.name, path.read_bytes()))
        return f"https://example.invalid/{name}"


def test_publish_plans_with_dry_run_then_uploads_and_audits(
    cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _policy(tmp_path)
    forge = FakeForge()
    monkeypatch.setattr("trainmaster.adapters.github.forge_for", lambda policy, **kw: forge)
    assert cli("evidence", "build", "v1.4.0").code == 0
    bundle = "evidence/evidence-v1.4.0.tar.gz"
    plan = cli("evidence", "publish", bundle, "--dry-run")
    assert plan.code == 0 and "would: upload evidence-v1.4.0.tar.gz" in plan.out
    assert forge.uploads == []
    done = cli("evidence", "publish", bundle)
    assert done.code == 0 and forge.uploads[0][:3] == (REPO, 7, "evidence-v1.4.0.tar.gz")
    store = open_store("sqlite:///.trainmaster/state.db", tmp_path)
    events = list(AuditLog(store).events(action="evidence.publish"))
    store.dispose()
    assert len(events) == 1 and json.loads(events[0].payload)["tag"] == "v1.4.0"


def test_publish_refuses_a_tampered_bundle(
    cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _policy(tmp_path)
    forge = FakeForge()
    monkeypatch.setattr("trainmaster.adapters.github.forge_for", lambda policy, **kw: forge)
    cli("evidence", "build", "v1.4.0")
    bundle = tmp_path / "evidence/evidence-v1.4.0.tar.gz"
    data = bytearray(bundle.read_bytes())
    data[-5] ^= 0x01  # the CRC-32 in the gzip trailer
    bundle.write_bytes(bytes(data))
    assert cli("evidence", "publish", str(bundle)).code == 1
    assert forge.uploads == []


def test_publish_through_the_github_emulator_is_idempotent(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, github_emulator: GitHubEmulator
) -> None:
    from trainmaster.adapters.github import forge_for
    from trainmaster.config.loader import load_policy

    github_emulator.state.add_repo(REPO)
    _policy(tmp_path, github_emulator.url)
    forge = forge_for(load_policy(tmp_path / "trainmaster.yaml"))
    assert forge is not None
    forge.create_release(REPO, tag="v1.4.0", name="v1.4.0", body="notes")
    assert cli("evidence", "build", "v1.4.0", "--publish").code == 0
    again = cli("evidence", "publish", "evidence/evidence-v1.4.0.tar.gz")
    assert again.code == 0, again.err
    assets = list(github_emulator.state.assets.values())
    assert [a["name"] for a in assets] == ["evidence-v1.4.0.tar.gz"]


def test_verify_against_the_store_catches_a_rewritten_chain(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from trainmaster.store.models import AuditEventRow

    _policy(tmp_path)
    assert cli("evidence", "build", "v1.4.0").code == 0
    bundle = "evidence/evidence-v1.4.0.tar.gz"
    # unsigned: consistent with the store, but inconclusive as evidence (exit 3), never 0
    assert cli("evidence", "verify", bundle, "--against-store").code == 3
    store = open_store("sqlite:///.trainmaster/state.db", tmp_path)
    with store.transaction() as session:
        session.execute(update(AuditEventRow).where(AuditEventRow.seq == 3).values(hash="0" * 64))
    store.dispose()
    assert cli("evidence", "verify", bundle).code == 3  # the bundle itself is intact
    bad = cli("evidence", "verify", bundle, "--against-store")
    assert bad.code == 1 and "seq 3 differs from the store's chain" in bad.err


def test_build_in_github_actions_writes_the_bottom_line_to_the_job_summary(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _policy(tmp_path)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert cli("evidence", "build", "v1.4.0").code == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "## Summary" in summary and "promoted: prod by alice" in summary
    assert "## Release" not in summary and "evidence-v1.4.0.tar.gz" in summary
