"""SARIF 2.1.0 for GitHub code scanning: one run, one result per finding, fingerprints as
partialFingerprints so code scanning tracks an alert across commits."""

from __future__ import annotations

from typing import Any

from trainmaster import __version__
from trainmaster.evidence.secrets.findings import RULES, Finding, Notice

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(findings: list[Finding], notices: list[Notice]) -> dict[str, Any]:
    rule_ids = sorted(RULES)
    rules = [
        {
            "id": rule_id,
            "name": "".join(part.title() for part in rule_id.split("-")),
            "shortDescription": {"text": RULES[rule_id].title},
            "help": {"text": RULES[rule_id].help},
            "defaultConfiguration": {"level": RULES[rule_id].level},
            "properties": {"tags": ["security", "secrets"]},
        }
        for rule_id in rule_ids
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "trainmaster secrets",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"level": "note", "message": {"text": f"{n.path}: {n.message}"}}
                            for n in notices
                        ],
                    }
                ],
                "results": [_result(f, rule_ids.index(f.rule)) for f in findings],
            }
        ],
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    region = {"startLine": finding.line} if finding.line else None
    location: dict[str, Any] = {"artifactLocation": {"uri": finding.path}}
    if not finding.path.startswith("/"):
        location["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    if region:
        location["region"] = region
    properties: dict[str, Any] = {"source": finding.source, "fingerprint": finding.fingerprint}
    if finding.commit:
        properties["commit"] = finding.commit
    if finding.detector:
        properties["detector"] = finding.detector
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": RULES[finding.rule].level,
        "message": {"text": f"{finding.message} (fingerprint {finding.fingerprint})"},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"secretFingerprint/v1": finding.fingerprint},
        "properties": properties,
    }
