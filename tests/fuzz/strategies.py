"""Hypothesis strategies for hostile input: plain data of every shape, text made from the pieces
parsers trip on, and mutations of valid documents."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import strategies as st

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
KEYS = st.one_of(
    st.text(min_size=1, max_size=12),
    st.sampled_from(["on", "jobs", "matrix", "include", "exclude", "metrics", "files", "seq"]),
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(KEYS, inner, max_size=6)),
    max_leaves=40,
)
# Fragments that break parsers: control characters, deep brackets, huge numbers, anchors.
TRICKS = st.sampled_from(
    [
        "\x00",
        "\x1b",
        "\ufeff",
        "\ud7ff",
        "[" * 200,
        "{" * 200,
        "9" * 500,
        "1e999",
        "-1e999",
        "NaN",
        "Infinity",
        "&a [*a]",
        "*a",
        "<<: *a",
        "!!python/object:os.system",
        "%YAML 1.1\n",
        "---\n",
        "...\n",
        "'",
        '"',
        "\\",
        ": ",
        "- ",
        "\t",
        "\n  ",
        "#",
        "${{ matrix.x }}",
        "{}",
    ]
)


def yaml_text(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, default_flow_style=None)


def json_text(data: Any) -> str:
    return json.dumps(data)


@st.composite
def mutated(draw: st.DrawFn, base: str) -> str:
    """`base` with a few fragments inserted, replaced or cut at drawn positions."""
    text = base
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(TRICKS, st.text(max_size=8)))
        action = draw(st.sampled_from(["insert", "replace", "cut"]))
        if action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        else:
            text = text[:at]
    return text


def hostile_text(base: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=200),
        DATA.map(yaml_text),
        mutated(base),
        st.lists(st.one_of(TRICKS, st.text(max_size=10)), max_size=12).map("".join),
    )
