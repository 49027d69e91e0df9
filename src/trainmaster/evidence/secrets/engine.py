"""detect-secrets as the scanning engine, behind one function: lines in, (line, type, secret) out.

detect-secrets checks a line with ~25 plugins and a dozen filters, about half a millisecond a
line; CI logs run to hundreds of thousands of lines. A cheap pre-filter passes on only lines that
could hold a secret (a credential keyword, or a long token that is not plain hex such as a commit
SHA), renumbered; the engine's findings are mapped back to the real line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

# Entropy plugins flag every digest and SHA in a CI log; public IPs are not secrets. Entropy is
# still checked where it means something: the `data:` of a plain Secret (see structure.py).
DISABLED_PLUGINS = frozenset(
    {"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"}
)
# Lines of history and logs are not files on disk; this filter would drop all of them.
DISABLED_FILTERS = ("detect_secrets.filters.common.is_invalid_file",)
MAX_LINE = 4096  # longer lines (minified code, base64 blobs) are left to our own patterns

KEYWORDS = ("pass", "pwd", "secret", "token", "key", "auth", "cred", "api", "bearer", "hook", "@")
LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_.-]{20,}")
HEX = re.compile(r"[0-9a-fA-F.-]+")


def is_candidate(text: str) -> bool:
    if len(text) > MAX_LINE:
        return False
    lowered = text.lower()
    if any(word in lowered for word in KEYWORDS):
        return True
    return any(not HEX.fullmatch(m.group()) for m in LONG_TOKEN.finditer(text))


@dataclass(frozen=True)
class EngineHit:
    line: int
    type: str  # detect-secrets' secret type, e.g. "Secret Keyword"
    secret: str


@contextmanager
def engine() -> Iterator[None]:
    """Configure detect-secrets once for a whole scan (its settings are process-global)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import get_filters, get_settings, transient_settings

    names: list[str] = [cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()]
    plugins = [{"name": name} for name in names if name not in DISABLED_PLUGINS]
    with transient_settings({"plugins_used": plugins}):
        get_settings().disable_filters(*DISABLED_FILTERS)
        get_filters.cache_clear()
        yield


def scan_lines(filename: str, lines: Sequence[tuple[int, str]]) -> list[EngineHit]:
    """Call inside `engine()`. `filename` matters: plugins pick their rules by file type."""
    from detect_secrets.core import scan

    candidates = [(number, text) for number, text in lines if is_candidate(text)]
    if not candidates:
        return []
    renumbered = [(i, text) for i, (_, text) in enumerate(candidates, start=1)]
    hits = []
    for secret in scan._process_line_based_plugins(lines=renumbered, filename=filename):
        if secret.secret_value:
            real_line = candidates[secret.line_number - 1][0]
            hits.append(EngineHit(real_line, secret.type, secret.secret_value))
    return hits
