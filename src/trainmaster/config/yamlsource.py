"""YAML loading that remembers where every value came from.

PyYAML builds a node tree with marks; we turn it into plain data ourselves so that each path
(`("stages", "prod", "approval", "quorum")`) maps to its line and column, and duplicate keys,
which PyYAML silently overwrites, become errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class SourceMap:
    file: str
    marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> Mark:
        """The mark of the deepest known prefix of `path` (a missing key points at its parent).
        With `key`, point at the key itself rather than its value (for unknown keys)."""
        if key and path in self.key_marks:
            return self.key_marks[path]
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in self.marks:
                return self.marks[prefix]
        return Mark(1, 1)


class YamlError(ValueError):
    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data and its source map."""
    source = SourceMap(file)
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, source
            return _build(loader, node, (), source), source
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlError(f"invalid YAML: {e.problem or e.context}", where) from e


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path, source: SourceMap) -> Any:
    source.marks[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool | float):
                raise YamlError("mapping keys must be plain scalars", _mark(key_node))
            if key in result:
                raise YamlError(f"duplicate key {key!r}", _mark(key_node))
            child = (*path, str(key))
            source.key_marks[child] = _mark(key_node)
            result[key] = _build(loader, value_node, child, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), source) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
