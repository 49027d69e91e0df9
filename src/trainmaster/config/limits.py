"""Limits on policy values that later stages parse again, checked when the policy is loaded.

A PromQL query in the policy is parsed by the embedded engine (recursively) and sent to
Prometheus; a query nested 400 calls deep would exhaust the parser's stack at gate time. Its
length and nesting are bounded here, so the problem is a policy error naming file, line and field.
"""

from __future__ import annotations

import re

MAX_QUERY_CHARS = 10_000  # real gate queries are a few hundred characters
MAX_QUERY_DEPTH = 32  # parentheses and braces inside each other; real queries nest about 5
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_OPENERS = frozenset("({[")


def check_query(query: str) -> None:
    """Raise ValueError when a PromQL query is longer or nested deeper than the limits."""
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"PromQL longer than {MAX_QUERY_CHARS} characters")
    if query_depth(query) > MAX_QUERY_DEPTH:
        raise ValueError(f"PromQL nested deeper than {MAX_QUERY_DEPTH} levels")


def query_depth(query: str) -> int:
    """The deepest bracket nesting outside string literals, counted without recursion."""
    deepest = depth = 0
    for char in _QUOTED.sub("", query):
        if char in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")}]":
            depth -= 1
    return deepest
