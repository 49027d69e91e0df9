"""The sealed-secrets layout: each cluster that receives SealedSecrets has its kubeseal public
certificate committed, so anyone can seal a secret for it without cluster access."""

from __future__ import annotations

import re
from collections.abc import Callable

from trainmaster.evidence.secrets.findings import Finding, fingerprint

CERT_SUFFIXES = (".pem", ".crt", ".cert")


SECRETS_DIR = re.compile(r"^((?:.*/)?deploy/([^/]+))/secrets/")


def environments(files: list[str]) -> list[tuple[str, str]]:
    """(folder, env) of each deploy/<env>/ with a secrets/ subfolder that holds anything."""
    return sorted({(m.group(1), m.group(2)) for f in files if (m := SECRETS_DIR.match(f))})


def certificate_for(
    folder: str, env: str, files: list[str], read: Callable[[str], str | None]
) -> str | None:
    """The committed certificate for `env`: a PEM certificate under its deploy/<env>/ folder, or
    anywhere in the repository with the environment as a word of its path (certs/prod.pem,
    .sealed-secrets/kubeseal-prod.crt)."""
    for path in files:
        if not path.endswith(CERT_SUFFIXES):
            continue
        own = path.startswith(f"{folder}/")
        named = env in re.split(r"[/._-]", path)
        if (own or named) and is_certificate(read(path) or ""):
            return path
    return None


def is_certificate(text: str) -> bool:
    """A PEM X.509 certificate that parses: a truncated or mangled file cannot seal anything."""
    if "BEGIN CERTIFICATE" not in text:
        return False
    from cryptography import x509

    try:
        x509.load_pem_x509_certificate(text.encode("utf-8"))
    except ValueError:
        return False
    return True


def missing_certificates(files: list[str], read: Callable[[str], str | None]) -> list[Finding]:
    return [
        Finding(
            "missing-kubeseal-cert",
            folder,
            0,
            fingerprint(f"missing-kubeseal-cert:{folder}"),
            f"{folder}/secrets/ holds secret manifests but no kubeseal public certificate "
            f"for the {env} cluster is committed (e.g. {folder}/kubeseal.pem)",
            source="layout",
        )
        for folder, env in environments(files)
        if certificate_for(folder, env, files, read) is None
    ]
