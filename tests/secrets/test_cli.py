"""`trainmaster secrets check`: exit codes, SARIF 2.1.0 (validated against the official schema),
JSON output and annotations; never a secret on any output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.secrets.repo import aws_secret, clean_repo, github_token, seeded_repo, slack_webhook

SARIF_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / ".cache/sarif-schema/package/lib/schemas/sarif-2.1.0-rtm.5.json"
)


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    assert SARIF_SCHEMA.exists(), f"{SARIF_SCHEMA} is missing: run `make servers`"
    schema: dict[str, Any] = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return schema


def test_seeded_repo_exits_1_with_valid_sarif(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, sarif_schema: dict[str, Any]
) -> None:
    repo = seeded_repo(tmp_path / "repo")
    result = cli("secrets", "check", str(repo), "--sarif", "out.sarif")
    assert result.code == 1
    assert "11 secret finding(s)" in result.err and "Traceback" not in result.err
    assert "notice: assets/logo.png: binary file; skipped" in result.err
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    jsonschema.validate(sarif, sarif_schema)
    run = sarif["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(run["results"]) == 11
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        assert res["partialFingerprints"]["secretFingerprint/v1"].startswith("sha256:")
    everything = result.out + result.err + (tmp_path / "out.sarif").read_text()
    for secret in (github_token(), aws_secret(), slack_webhook()):
        assert secret not in everything


def test_clean_repo_exits_0(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = clean_repo(tmp_path / "repo")
    result = cli("--json", "secrets", "check", str(repo), "--history")
    assert result.code == 0, result.err
    out = json.loads(result.out)
    assert out["findings"] == [] and out["notices"] == [] and out["files_scanned"] > 0


def test_github_actions_annotations(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = seeded_repo(tmp_path / "repo")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    result = cli("secrets", "check", str(repo))
    assert result.code == 1
    assert "::error file=app/settings.py,line=1::github-token" in result.err
    assert "11 finding(s)" in (tmp_path / "summary.md").read_text()


def test_bad_allowlist_is_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = clean_repo(tmp_path / "repo")
    (repo / ".secrets-allowlist.yaml").write_text("- path: x/*\n")
    result = cli("secrets", "check", str(repo))
    assert (
        result.code == 2
        and ".secrets-allowlist.yaml:1: every allowlist entry needs a reason" in result.err
    )
