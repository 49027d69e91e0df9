"""Evidence for a train run by the real train service (fakes only at the ports), on both stores."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.train.conftest import Rig
from tests.train.fakes import DIGEST_A
from trainmaster.evidence import archive
from trainmaster.evidence.bundle import build_evidence, verify_bundle


def test_bundle_of_a_released_train(rig: Rig, tmp_path: Path) -> None:
    captain = rig.service("captain")
    captain.cut()
    captain.record_artifact("v1.1.0", DIGEST_A)
    captain.deploy("v1.1.0", "stage")
    captain.verify("v1.1.0", "stage")
    rig.service("alice").approve("v1.1.0", "stage", "alice", "smoke and load look fine")
    rig.service("bob").promote("v1.1.0", "stage", "bob", "stage is green")
    captain.deploy("v1.1.0", "prod")
    captain.verify("v1.1.0", "prod")
    rig.service("alice").approve("v1.1.0", "prod", "alice", "dashboards green")
    rig.service("carol").approve("v1.1.0", "prod", "carol", "error budget fine")
    rig.clock.advance(minutes=10)
    rig.service("bob").promote("v1.1.0", "prod", "bob", "ship it")

    key = Ed25519PrivateKey.generate()
    bundle = build_evidence(
        rig.store, rig.policy, "v1.1.0", out_dir=tmp_path / "out", signing_key=key, actor="captain"
    )
    result = verify_bundle(bundle.path, key.public_key())
    assert result.train == "v1.1.0" and result.audit_events > 0

    report = bundle.markdown.read_text()
    for expected in (DIGEST_A, "dashboards green", "error budget fine", "ship it", "train.cut"):
        assert expected in report, expected
    files = archive.unpack(archive.gunzip(bundle.path.read_bytes()))
    excerpt = json.loads(files["audit/events.json"])
    mine = [e for e in excerpt["events"] if e["seq"] in excerpt["train_seqs"]]
    actions = {e["action"] for e in mine}
    assert {"train.cut", "approve", "promote"} <= actions
    assert any(n.startswith("gates/") for n in files), sorted(files)
    summary = report.split("## Release")[0]
    assert summary.count("promoted: ") == 2 and "prod by bob" in summary and '"ship it"' in summary
    assert "alice, carol (2 of 2 required: met)" in summary and "gates: 13 pass" in summary
