"""No secret on any output path, no token in a release's environment, no world-readable state."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from trainmaster.adapters.local.process import BASE_ENV, Release, release_environment
from trainmaster.cli.context import annotate, console, emit_json, step_summary
from trainmaster.redaction import MASK, register_secret
from trainmaster.store import open_store

TOKEN = "ghp_" + "S3cr3tT0ken" * 3


@pytest.fixture(autouse=True)
def _secret() -> None:
    register_secret(TOKEN)


def test_json_stdout_is_redacted_even_inside_an_echoed_api_error(capsys) -> None:  # type: ignore[no-untyped-def]
    emit_json({"error": {"status": 401, "body": f'{{"message": "Bad credentials {TOKEN}"}}'}})
    out = capsys.readouterr().out
    assert TOKEN not in out
    assert MASK in json.loads(out)["error"]["body"]


def test_rich_output_is_redacted(capsys) -> None:  # type: ignore[no-untyped-def]
    console().print(f"calling with {TOKEN}", markup=False)
    console(stderr=True).print(f"failed: {TOKEN}", markup=False)
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert MASK in captured.out and MASK in captured.err


def test_annotations_and_step_summaries_are_redacted(  # type: ignore[no-untyped-def]
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    annotate("error", f"token {TOKEN} refused", file="x.yml", line=1)
    step_summary(f"## token {TOKEN}")
    assert TOKEN not in capsys.readouterr().err
    assert TOKEN not in summary.read_text() and MASK in summary.read_text()


def test_a_release_sees_only_the_minimal_environment_and_what_the_policy_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("APP_FEATURE_FLAGS", "fast")
    monkeypatch.setenv("UNLISTED_SETTING", "x")
    argv = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]
    release = Release("img", 1, tmp_path, argv, 0, "/healthz")
    log = tmp_path / "logs" / "release.log"
    release.start(log, {"TRAINMASTER_RELEASE": "1"}, passthrough=("APP_FEATURE_FLAGS",))
    assert release.process is not None
    release.process.wait(10)
    seen = json.loads(log.read_text())
    assert "GITHUB_TOKEN" not in seen and "UNLISTED_SETTING" not in seen
    assert seen["APP_FEATURE_FLAGS"] == "fast" and seen["TRAINMASTER_RELEASE"] == "1"
    assert "PATH" in seen
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_the_environment_is_a_pure_choice() -> None:
    env = release_environment(
        {"PATH": "/bin", "GITHUB_TOKEN": "t", "HOME": "/h", "X": "1"}, {"Y": "2"}, ("X", "Z")
    )
    assert env == {"PATH": "/bin", "HOME": "/h", "X": "1", "Y": "2"}
    assert "GITHUB_TOKEN" not in BASE_ENV


def test_the_sqlite_store_and_its_folder_are_private(tmp_path: Path) -> None:
    open_store("sqlite:///.trainmaster/state.db", tmp_path).dispose()
    db = tmp_path / ".trainmaster" / "state.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    for sidecar in db.parent.glob("state.db-*"):
        assert stat.S_IMODE(sidecar.stat().st_mode) & 0o077 == 0, sidecar


def test_evidence_files_are_redacted_before_they_are_signed(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tests.evidence.factory import seed_train
    from trainmaster.config.loader import parse_policy
    from trainmaster.config.seed import seed_policy_text
    from trainmaster.evidence import archive
    from trainmaster.evidence.bundle import build_evidence, verify_bundle

    store = open_store(f"sqlite:///{tmp_path / 'state.db'}", tmp_path, upgrade=True)
    seed_train(store)
    leaked = tmp_path / "ci.txt"
    leaked.write_text(f"curl -H 'Authorization: token {TOKEN}'\n")
    key = Ed25519PrivateKey.generate()
    bundle = build_evidence(
        store,
        parse_policy(seed_policy_text()),
        "v1.4.0",
        out_dir=tmp_path / "out",
        signing_key=key,
        extra_files={"logs/ci.txt": leaked},
        actor="captain",
    )
    store.dispose()
    files = archive.unpack(archive.gunzip(bundle.path.read_bytes()))
    assert TOKEN.encode() not in b"".join(files.values())
    assert MASK.encode() in files["attachments/ci.txt"]
    assert verify_bundle(bundle.path, key.public_key()).key_source == "pinned"
