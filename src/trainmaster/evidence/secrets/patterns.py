"""The secret formats that matter to a release train, on top of detect-secrets' plugins.

Pure: `match_line` looks at one line of text. Private key blocks span lines and are found by
`match_blocks` over the whole text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    rule: str
    secret: str
    line: int  # 1-based


LINE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("github-token", re.compile(r"\b(gh[opsur]_[A-Za-z0-9]{36,255})\b")),
    ("github-token", re.compile(r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b")),
    ("aws-access-key-id", re.compile(r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})\b")),
    (
        "aws-secret-access-key",
        re.compile(
            r"(?i)aws.{0,20}?(?:secret|private).{0,20}?['\"]?\s*[:=]\s*['\"]?"
            r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
        ),
    ),
    (
        "slack-webhook",
        re.compile(
            r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,})"
        ),
    ),
)

PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
    r"(.*?)-----END \1-----",
    re.DOTALL,
)

# Values that look like a secret's shape but are documentation.
PLACEHOLDER = re.compile(r"(?i)(x{8,}|example|placeholder|changeme|dummy|your[-_]?token|<[^>]+>)")


def match_line(text: str, number: int) -> list[Hit]:
    hits = []
    for rule, pattern in LINE_PATTERNS:
        for match in pattern.finditer(text):
            secret = match.group(1)
            if not PLACEHOLDER.search(secret):
                hits.append(Hit(rule, secret, number))
    return hits


def match_blocks(text: str) -> list[Hit]:
    hits = []
    for match in PRIVATE_KEY.finditer(text):
        body = match.group(2).strip()
        if len(body) < 32:  # "-----BEGIN PRIVATE KEY-----...-----END" in docs has no body
            continue
        line = text.count("\n", 0, match.start()) + 1
        hits.append(Hit("private-key", match.group(0), line))
    return hits


# A value made only of letters, dots, dashes and underscores, or shorter than 8: a name, not a
# password. Keyword matches on such values are the classic false positive.
IDENTIFIER = re.compile(r"[A-Za-z_.-]+|.{0,7}")
SEALED_CIPHERTEXT = re.compile(r"^Ag[A-Za-z0-9+/]{254,}={0,2}$")


def is_sealed_ciphertext(value: str) -> bool:
    """kubeseal output: long base64 starting "Ag". Safe to commit, and what history diffs of a
    SealedSecret's rotated `encryptedData` consist of."""
    return SEALED_CIPHERTEXT.match(value) is not None


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_random(value: str, *, min_length: int = 16, min_bits: float = 3.5) -> bool:
    """Long enough and varied enough to be a key or password rather than a word or a flag."""
    return len(value) >= min_length and entropy(value) >= min_bits and not PLACEHOLDER.search(value)
