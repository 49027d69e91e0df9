"""The secret formats that matter to a release train, on top of detect-secrets' plugins.

Pure. Patterns run over a whole text at once (regex scanning in C, not a Python loop per line)
and hits are mapped to line numbers; only private key blocks may span lines.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    rule: str
    secret: str
    line: int  # 1-based, within the text that was matched


# Each pattern starts with a literal so the regex engine can skip ahead to it: a leading \b or
# (?i) makes the scan over a long CI log an order of magnitude slower. Word boundaries are checked
# in `_bounded`; case-insensitive patterns run on an ASCII-lowered copy (same offsets).
_AWS_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T[A-Z0-9]")
LINE_PATTERNS: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("github-token", re.compile(r"(gh[opsur]_[A-Za-z0-9]{36,255})"), False),
    ("github-token", re.compile(r"(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})"), False),
    *(
        ("aws-access-key-id", re.compile(f"({prefix}[A-Z0-9]{{16}})"), False)
        for prefix in _AWS_PREFIXES
    ),
    (
        "aws-secret-access-key",
        re.compile(
            r"aws[^\n]{0,20}?(?:secret|private)[^\n]{0,20}?['\"]?[ \t]*[:=][ \t]*['\"]?"
            r"([a-z0-9/+]{40})(?![a-z0-9/+])"
        ),
        True,
    ),
    (
        "slack-webhook",
        re.compile(
            r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,})"
        ),
        False,
    ),
)
# `db_password = "…"`, `oauth_token: …`, `_authToken=…`: a credential-named key assigned a random
# literal. Run on the lowered text; the value is cut from the original.
ASSIGNMENT = re.compile(
    r"(?P<name>(?:secret|passw(?:or)?d|pwd|token|api[_-]?key|access[_-]?key|private[_-]?key|auth)"
    r"[a-z0-9_.-]*)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?P<value>[a-z0-9+=_~-][a-z0-9+/=_~-]{15,255})(?=[\"'\s,;]|$)"
)
# Keys that name, locate or describe a credential rather than hold it.
NOT_A_VALUE = re.compile(
    r"(name|file|path|env|url|uri|id|header|type|ref|version|length|size|ttl|field|var|mode"
    r"|method|endpoint|prefix|format|count|timeout|expiry|expires|hash|sha|digest)(s|\d+)?$"
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WORD = re.compile(r"[A-Za-z0-9_]")

PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
    r"(.*?)-----END \1-----",
    re.DOTALL,
)

# Values that look like a secret's shape but are documentation.
PLACEHOLDER = re.compile(
    r"(?i)(x{8,}|example|placeholder|changeme|dummy|your[-_]?token|<[^>]+>"
    r"|\$\{[^}]*\}|\{\{.*?\}\}|%\([^)]*\)s)"  # ${VAR}, {{ template }}, %(name)s
)


def line_starts(text: str) -> list[int]:
    """Offsets where each line begins: `bisect_right(starts, offset)` is the 1-based line."""
    return [0, *(m.end() for m in re.finditer("\n", text))]


def match_text(text: str, starts: list[int]) -> list[Hit]:
    lowered = text.translate(_ASCII_LOWER)
    hits = []
    for rule, pattern, on_lowered in LINE_PATTERNS:
        for match in pattern.finditer(lowered if on_lowered else text):
            begin, end = match.span(1)
            secret = text[begin:end]
            if _bounded(text, begin, end) and not PLACEHOLDER.search(secret):
                hits.append(Hit(rule, secret, bisect_right(starts, begin)))
    return hits + _assignments(text, lowered, starts) + match_blocks(text, starts)


def _assignments(text: str, lowered: str, starts: list[int]) -> list[Hit]:
    hits = []
    for match in ASSIGNMENT.finditer(lowered):
        begin, end = match.span("value")
        value = text[begin:end]
        if NOT_A_VALUE.search(match.group("name")) or not credible_value(value):
            continue
        hits.append(Hit("credential-assignment", value, bisect_right(starts, begin)))
    return hits


# Credentials in URLs for these hosts are examples and local test servers (RFC 2606, loopback).
DOCUMENTATION_HOST = re.compile(
    r"@(localhost|127\.0\.0\.1|\[::1\]|[\w.-]*example\.(com|org|net)|[\w.-]+\.(test|example|invalid))\b"
)
KEY_BEFORE = re.compile(r"([A-Za-z0-9_.-]+)[\"']?[ \t]*[:=][ \t]*[\"']?$")


def names_not_a_value(line: str, value: str) -> bool:
    """Whether the key `value` is assigned to (in `line`) names a credential's name, file, URL…"""
    at = line.find(value)
    key = KEY_BEFORE.search(line[:at]) if at > 0 else None
    return key is not None and NOT_A_VALUE.search(key.group(1).lower()) is not None


def credible_value(value: str) -> bool:
    """Random enough to be a generated secret: letters and digits, varied, not a placeholder,
    a template or kubeseal ciphertext."""
    has_digit = any(c.isdigit() for c in value)
    has_letter = any(c.isalpha() for c in value)
    return (
        has_digit
        and has_letter
        and entropy(value) >= 3.3
        and not PLACEHOLDER.search(value)
        and not is_sealed_ciphertext(value)
    )


def _bounded(text: str, begin: int, end: int) -> bool:
    before = begin > 0 and _WORD.match(text, begin - 1) is not None
    after = end < len(text) and _WORD.match(text, end) is not None
    return not before and not after


def match_blocks(text: str, starts: list[int]) -> list[Hit]:
    hits = []
    for match in PRIVATE_KEY.finditer(text):
        body = match.group(2).strip()
        if len(body) < 32:  # a header quoted in documentation has no key material after it
            continue
        hits.append(Hit("private-key", match.group(0), bisect_right(starts, match.start())))
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
