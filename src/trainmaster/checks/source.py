"""Workflow YAML → plain data, with the line of every value, read the way GitHub reads it.

GitHub parses workflows as YAML 1.2: `on`, `yes` and `off` are strings, `010` is ten, dates stay
strings. PyYAML resolves plain scalars by YAML 1.1, so we build values from its node tree
ourselves (as `config/yamlsource.py` does for the policy) with the 1.2 core schema. Anchors and
aliases are expanded (GitHub accepts them since August 2025) and reported; merge keys (`<<`),
which GitHub rejects, are errors. Sizes are bounded so an alias bomb cannot exhaust memory.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from trainmaster.config.yamlsource import Mark, SourceMap

MAX_BYTES = 1_000_000  # no real workflow comes close; bigger files are refused, not parsed
MAX_NODES = 200_000  # expanded values, counting each alias expansion again

_FLOAT = r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
# YAML 1.2 core schema: the first matching rule gives a plain scalar its value.
_CORE: tuple[tuple[re.Pattern[str], Callable[[str], Any]], ...] = tuple(
    (re.compile(f"^(?:{pattern})$"), convert)
    for pattern, convert in (
        (r"~|null|Null|NULL|", lambda _: None),
        (r"true|True|TRUE", lambda _: True),
        (r"false|False|FALSE", lambda _: False),
        (r"[-+]?[0-9]+", int),
        (r"0o[0-7]+", lambda t: int(t[2:], 8)),
        (r"0x[0-9a-fA-F]+", lambda t: int(t[2:], 16)),
        (_FLOAT, float),
        (r"[-+]?\.(?:inf|Inf|INF)", lambda t: -math.inf if t.startswith("-") else math.inf),
        (r"\.(?:nan|NaN|NAN)", lambda _: math.nan),
    )
)


# LibYAML's parser when PyYAML was built with it (about 10x faster); the pure-Python one else.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ALIASES = (
    "uses YAML anchors and aliases: analysed expanded; github.com accepts them since August "
    "2025, older GitHub Enterprise Server releases reject the file"
)


class SourceError(ValueError):
    """The file cannot be read as a workflow at all; `mark` says where."""

    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass(frozen=True)
class Notice:
    """Something about the YAML itself worth telling (anchors), with where it is."""

    message: str
    mark: Mark


@dataclass
class Document:
    data: Any
    source: SourceMap
    notices: list[Notice] = field(default_factory=list)


def resolve_scalar(node: yaml.ScalarNode) -> Any:
    """A scalar's value under YAML 1.2's core schema (quoted scalars are always strings)."""
    text = str(node.value)
    if node.style:  # quoted, literal or folded (plain is None in PyYAML, "" in LibYAML)
        return text
    for pattern, convert in _CORE:
        if pattern.match(text):
            return convert(text)
    return text


def load_workflow_yaml(text: str, file: str) -> Document:
    """Parse one workflow file; raise `SourceError` with a line for anything unreadable."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise SourceError(f"file is larger than {MAX_BYTES} bytes; not analysed", Mark(1, 1))
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise SourceError(f"invalid YAML: {e.problem or e.context}", where) from e
    except yaml.YAMLError as e:
        raise SourceError(f"invalid YAML: {e}", Mark(1, 1)) from e
    except RecursionError as e:
        raise SourceError("values are nested too deeply to analyse", Mark(1, 1)) from e
    finally:
        loader.dispose()
    source = SourceMap(file)
    document = Document(None, source)
    if node is not None:
        builder = _Builder(source)
        try:
            document.data = builder.build(node, ())
        except RecursionError as e:
            raise SourceError("values are nested too deeply to analyse", Mark(1, 1)) from e
        if builder.aliased:
            document.notices.append(Notice(_ALIASES, builder.aliased[0]))
    return document


class _Builder:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.count = 0
        self.seen: dict[int, Mark] = {}  # an alias is the anchored node object met again
        self.aliased: list[Mark] = []

    def build(self, node: yaml.Node, path: tuple[str | int, ...]) -> Any:
        self.count += 1
        mark = Mark(node.start_mark.line + 1, node.start_mark.column + 1)
        if self.count > MAX_NODES:
            raise SourceError(f"more than {MAX_NODES} values (alias expansion?)", mark)
        first = self.seen.setdefault(id(node), mark)
        if first is not mark and not self.aliased:
            self.aliased.append(first)
        self.source.marks.setdefault(path, mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        try:
            return resolve_scalar(node)
        except ValueError as e:  # an integer over Python's 4,300-digit conversion limit
            raise SourceError(f"a number too long to read ({e})"[:200], mark) from e

    def _mapping(self, node: yaml.MappingNode, path: tuple[str | int, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_mark = Mark(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                raise SourceError("mapping keys must be plain scalars", key_mark)
            if key_node.tag == "tag:yaml.org,2002:merge" and not key_node.style:
                raise SourceError("YAML merge keys (<<) are not supported by GitHub", key_mark)
            key = str(key_node.value)  # GitHub's keys are strings: `on` stays `on`
            if key in result:
                raise SourceError(f"duplicate key {key!r}", key_mark)
            child = (*path, key)
            self.source.key_marks.setdefault(child, key_mark)
            result[key] = self.build(value_node, child)
        return result
