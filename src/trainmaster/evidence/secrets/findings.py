"""Findings, notices and rules: pure values. A finding names where and what, never the secret."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

Level = Literal["error", "warning"]
Source = Literal["tree", "history", "logs", "layout"]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    help: str
    level: Level = "error"


RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule(
            "github-token",
            "GitHub token",
            "Revoke the token in GitHub settings, then remove it from the file and history.",
        ),
        Rule(
            "aws-access-key-id",
            "AWS access key id",
            "Deactivate the key in IAM; use OIDC or a SealedSecret instead.",
        ),
        Rule(
            "aws-secret-access-key",
            "AWS secret access key",
            "Deactivate the key pair in IAM; use OIDC or a SealedSecret instead.",
        ),
        Rule(
            "private-key",
            "Private key block",
            "Treat the key as compromised: rotate it and keep only the public part.",
        ),
        Rule(
            "slack-webhook",
            "Slack webhook URL",
            "Regenerate the webhook; pass it as ${SLACK_WEBHOOK_URL} from a secret store.",
        ),
        Rule(
            "kubeconfig-credential",
            "Credential in a kubeconfig",
            "Revoke the credential; CI should authenticate to the cluster with OIDC.",
        ),
        Rule(
            "secret-data",
            "High-entropy value in a plain Secret",
            "Base64 is not encryption: seal the Secret with kubeseal and commit the SealedSecret.",
        ),
        Rule(
            "plain-secret",
            "Plain Secret where a SealedSecret belongs",
            "Seal it: kubeseal --cert deploy/<env>/kubeseal.pem < secret.yaml > sealed.yaml.",
        ),
        Rule(
            "not-sealed",
            "Manifest under secrets/ that is not a SealedSecret",
            "Only bitnami.com/v1alpha1 SealedSecret manifests belong under deploy/<env>/secrets/.",
        ),
        Rule(
            "missing-kubeseal-cert",
            "No kubeseal public certificate for the cluster",
            "Commit the cluster's certificate: kubeseal --fetch-cert > deploy/<env>/kubeseal.pem.",
        ),
        Rule(
            "credential-assignment",
            "Credential assignment",
            "Rotate it and read it from the environment or a SealedSecret instead.",
        ),
        Rule(
            "detect-secrets",
            "Secret found by detect-secrets",
            "Remove and rotate the secret, or allowlist its fingerprint with a reason.",
        ),
    ]
}


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str  # relative to the scanned root, or the log file as given
    line: int  # 1-based; 0 when the finding is about a file or folder as a whole
    fingerprint: str
    message: str
    source: Source = "tree"
    commit: str | None = None
    detector: str | None = None  # the detect-secrets plugin, when it found this

    @property
    def location(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}@{self.commit[:12]}" if self.commit else where


@dataclass(frozen=True)
class Notice:
    path: str
    message: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files_scanned: int = 0


def fingerprint(secret: str) -> str:
    """A stable, short digest of a secret: enough to allowlist or match it, not to recover it."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:20]
