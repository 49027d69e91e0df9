"""The evidence use cases without Typer: the CLI's bundle, refusals on the record, publish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evidence.test_cli import REPO, FakeForge, _policy
from trainmaster.audit.log import AuditLog
from trainmaster.config import load_policy
from trainmaster.errors import Refused
from trainmaster.evidence import use_cases as evidence
from trainmaster.evidence.signing import generate
from trainmaster.wiring import App


def _app(tmp_path: Path) -> App:
    return App(load_policy(tmp_path / "trainmaster.yaml"), tmp_path)


def test_build_verify_publish_as_the_cli_does(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _policy(tmp_path)
    forge = FakeForge()
    monkeypatch.setattr("trainmaster.adapters.github.forge_for", lambda policy, **kw: forge)
    from_cli = json.loads(cli("--json", "evidence", "build", "v1.4.0", "--out", "by-cli").out)
    key = generate()
    with _app(tmp_path) as app:
        built = evidence.build_bundle(
            app, evidence.BuildInput("ana", "v1.4.0", tmp_path / "by-case", signing_key=key)
        )
        # the same evidence; only the signer differs (the CLI found no key: unsigned)
        signing = {"manifest.sig", "signing-key.pub.pem"}
        assert set(built.as_json()["files"]) == set(from_cli["files"]) | signing
        assert from_cli["signer"] is None and built.bundle.signer_fingerprint is not None
        checked = evidence.verify(built.bundle.path, key.public_key(), against=app)
        assert checked.train == "v1.4.0" and checked.key_source == "pinned"
        plan = evidence.publish(app, evidence.PublishInput("ana", built.bundle.path, dry_run=True))
        assert plan.dry_run and plan.plan.startswith("upload evidence-v1.4.0.tar.gz")
        assert forge.uploads == []
        done = evidence.publish(app, evidence.PublishInput("ana", built.bundle.path))
        assert forge.uploads[0][:3] == (REPO, 7, "evidence-v1.4.0.tar.gz") and done.url
        actors = [(e.actor, e.action) for e in AuditLog(app.store).events()]
    assert ("ana", "evidence.build") in actors and ("ana", "evidence.publish") in actors


def test_an_outsider_may_not_build_and_the_refusal_is_audited(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _policy(tmp_path)
    policy = tmp_path / "trainmaster.yaml"
    policy.write_text(
        policy.read_text().replace(
            "title: Release Captain\n    members: []", "title: Release Captain\n    members: [ana]"
        )
    )
    ran = cli("--actor", "eve", "evidence", "build", "v1.4.0")
    with _app(tmp_path) as app:
        with pytest.raises(Refused) as refused:
            evidence.build_bundle(app, evidence.BuildInput("eve", "v1.4.0"))
        assert ran.code == 5 and refused.value.message in ran.err
        assert [r.rule for r in refused.value.reasons] == ["authz"]
        refusals = [e for e in AuditLog(app.store).events() if e.action == "authz.refused"]
    assert [(e.actor, e.target) for e in refusals] == [("eve", "train/v1.4.0")] * 2
    assert not (tmp_path / "evidence").exists()
