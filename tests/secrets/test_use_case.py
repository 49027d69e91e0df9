"""The secrets check use case without Typer: the CLI's findings, SARIF and exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.secrets.repo import clean_repo, seeded_repo
from trainmaster.errors import CheckFailed
from trainmaster.evidence.secrets.use_cases import SecretsCheckInput, check, raise_for_findings


def test_the_use_case_finds_what_the_cli_reports(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = seeded_repo(tmp_path / "repo")
    ran = cli("--json", "secrets", "check", str(repo))
    result = check(SecretsCheckInput(repo, sarif=tmp_path / "case.sarif"))
    assert [f.__dict__ for f in result.findings] == json.loads(ran.out)["findings"]
    assert len(json.loads((tmp_path / "case.sarif").read_text())["runs"][0]["results"]) == 11
    with pytest.raises(CheckFailed) as failed:
        raise_for_findings(result)
    assert failed.value.exit_code == ran.code == 1


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    result = check(SecretsCheckInput(clean_repo(tmp_path / "repo")))
    assert not result.findings and result.files_scanned > 0
    raise_for_findings(result)
