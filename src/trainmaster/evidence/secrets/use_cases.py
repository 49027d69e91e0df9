"""The secrets check use case: sealed-secret layout and plaintext secrets in the tree, its
history and CI logs, with a SARIF report. Reads only (the SARIF file aside); asks no one, needs
no policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from trainmaster.evidence.secrets.scan import ScanResult


@dataclass(frozen=True)
class SecretsCheckInput:
    path: Path = Path(".")
    logs: tuple[Path, ...] = ()  # CI log files, folders or zips
    history: bool = False  # also every commit of the git history
    allowlist: Path | None = None  # default: PATH/.secrets-allowlist.yaml
    sarif: Path | None = None  # write SARIF 2.1.0 here


def check(request: SecretsCheckInput) -> ScanResult:
    """The findings (allowlisted ones apart); `raise_for_findings` gives the exit code."""
    from trainmaster.evidence.secrets.scan import check_secrets

    result = check_secrets(
        request.path,
        logs=list(request.logs),
        with_history=request.history,
        allowlist=request.allowlist,
    )
    if request.sarif is not None:
        from trainmaster.evidence.secrets.sarif import to_sarif

        report = json.dumps(to_sarif(result.findings, result.notices), indent=2) + "\n"
        try:
            request.sarif.write_text(report)
        except OSError as e:
            raise UsageError(f"{request.sarif}: cannot write SARIF ({e.strerror})") from e
    return result


def raise_for_findings(result: ScanResult) -> None:
    if result.findings:
        raise CheckFailed(f"{len(result.findings)} secret finding(s)")
