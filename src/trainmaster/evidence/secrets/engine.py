"""detect-secrets as the scanning engine, behind one function: lines in, (line, type, secret) out.

detect-secrets checks a line with ~25 plugins and a dozen filters, about half a millisecond a
line; CI logs run to hundreds of thousands of lines. A cheap pre-filter passes on only lines that
could hold a secret (a credential keyword, or a long token that is not plain hex such as a commit
SHA), renumbered; the engine's findings are mapped back to the real line numbers.
"""

from __future__ import annotations

import re
from bisect import bisect_right
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

# Matched on the lowered text: a case-insensitive regex would be several times slower.
KEYWORDS = re.compile("pass|pwd|secret|token|key|auth|cred|api|bearer|hook|@")
LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_.-]{20,}")
HEX = re.compile(r"[0-9a-fA-F.-]+")


def candidate_lines(text: str, starts: list[int]) -> set[int]:
    """1-based lines of `text` worth handing to detect-secrets."""
    found = {bisect_right(starts, m.start()) for m in KEYWORDS.finditer(text.lower())}
    found.update(
        bisect_right(starts, m.start())
        for m in LONG_TOKEN.finditer(text)
        if not HEX.fullmatch(m.group())
    )
    ends = [*starts[1:], len(text) + 1]
    return {n for n in found if ends[n - 1] - starts[n - 1] <= MAX_LINE}


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

    mapping: dict[str, type] = get_mapping_from_secret_type_to_class()
    names = [plugin.__name__ for plugin in mapping.values()]
    plugins = [{"name": name} for name in names if name not in DISABLED_PLUGINS]
    with transient_settings({"plugins_used": plugins}):
        get_settings().disable_filters(*DISABLED_FILTERS)
        get_filters.cache_clear()
        yield


def scan_lines(
    filename: str, lines: Sequence[tuple[int, str]], text: str, starts: list[int]
) -> list[EngineHit]:
    """Call inside `engine()`. `lines` are (real number, text); `text` is them joined by newlines
    and `starts` its line offsets. `filename` matters: plugins pick their rules by file type."""
    from detect_secrets.core import scan

    candidates = [lines[i - 1] for i in sorted(candidate_lines(text, starts))]
    if not candidates:
        return []
    renumbered = [(i, line) for i, (_, line) in enumerate(candidates, start=1)]
    hits = []
    for secret in scan._process_line_based_plugins(lines=renumbered, filename=filename):
        if secret.secret_value:
            real_line = candidates[secret.line_number - 1][0]
            hits.append(EngineHit(real_line, secret.type, secret.secret_value))
    return hits
