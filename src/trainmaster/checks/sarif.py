"""Findings as SARIF 2.1.0, the format GitHub code scanning uploads (`upload-sarif`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from trainmaster.checks.findings import RULES, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(findings: Sequence[Finding], version: str) -> dict[str, Any]:
    rules = sorted(RULES)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "trainmaster",
                        "version": version,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "results": [_result(f, rules.index(f.rule)) for f in findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _rule(rule: str) -> dict[str, Any]:
    return {
        "id": rule,
        "name": "".join(part.capitalize() for part in rule.split("-")),
        "shortDescription": {"text": RULES[rule]},
        "defaultConfiguration": {"level": "error" if rule in _ERRORS else "warning"},
    }


_ERRORS = frozenset({"workflow-invalid", "missing", "not-triggered", "filtered"})


def _result(finding: Finding, index: int) -> dict[str, Any]:
    # Code scanning tracks an alert across commits by this fingerprint; lines move, contexts don't.
    identity = f"{finding.rule}\0{finding.file}\0{finding.context or finding.message}"
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": finding.severity,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.file.replace("\\", "/")},
                    "region": {"startLine": max(1, finding.line), "startColumn": finding.column},
                }
            }
        ],
        "partialFingerprints": {
            "trainmasterFinding/v1": hashlib.sha256(identity.encode()).hexdigest()
        },
    }
