"""YAML loading that remembers where every value came from.

PyYAML builds a node tree with marks; we turn it into plain data ourselves so that each path
(`("stages", "prod", "approval", "quorum")`) maps to its line and column, and duplicate keys,
which PyYAML silently overwrites, become errors.

The text is untrusted (a pull request can change the policy), so every cost is bounded before it
is paid: the document's size, the nesting depth (PyYAML composes recursively), the number of
aliases and of values once aliases are expanded (a 1 KB alias bomb expands to billions), and the
length of a number (Python refuses integers over 4,300 digits only after trying).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]

MAX_BYTES = 1_000_000  # a policy is a few KB; a megabyte is already absurd
MAX_DEPTH = 64  # mappings and lists inside each other; a real policy nests about 6 deep
MAX_ALIASES = 1_000  # `*name` references in one document
MAX_NODES = 50_000  # values once every alias is expanded; the seed policy has about 300
MAX_SCALAR_DIGITS = 100  # characters in a plain number: a float has 17 significant digits
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


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


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing depth and aliases over the limits while composing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise YamlError(f"more than {MAX_ALIASES} aliases", _event_mark(event))
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                message = f"values nested deeper than {MAX_DEPTH} levels"
                raise YamlError(message, _event_mark(event))
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _event_mark(event: yaml.Event) -> Mark:
    start = event.start_mark
    return Mark(start.line + 1, start.column + 1) if start else Mark(1, 1)


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data and its source map; every failure, and every
    limit passed, is a `YamlError` with where it happened."""
    if len(text) > MAX_BYTES:
        raise YamlError(f"the file is larger than {MAX_BYTES} bytes", Mark(1, 1))
    source = SourceMap(file)
    try:
        loader = _BoundedLoader(text)
    except yaml.reader.ReaderError as e:  # a control character: found before any parsing
        raise YamlError(
            f"invalid YAML: {_reader_problem(e)}", _offset_mark(text, e.position)
        ) from e
    try:
        node = loader.get_single_node()
        if node is None:
            return None, source
        return _Builder(loader, source).build(node, ()), source
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlError(f"invalid YAML: {e.problem or e.context}", where) from e
    except yaml.YAMLError as e:
        raise YamlError(f"invalid YAML: {e}", Mark(1, 1)) from e
    finally:
        loader.dispose()


def _reader_problem(error: yaml.reader.ReaderError) -> str:
    character = error.character
    code = ord(character) if isinstance(character, str) else int(character)
    return f"unacceptable character #x{code:04x}: control characters are not allowed"


def _offset_mark(text: str, offset: int) -> Mark:
    before = text[:offset]
    return Mark(before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


class _Builder:
    """Node tree → plain data, counting every value built (aliases expand once per use)."""

    def __init__(self, loader: yaml.SafeLoader, source: SourceMap) -> None:
        self.loader = loader
        self.source = source
        self.count = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if len(path) > MAX_DEPTH:  # an alias inside its own anchor (`&a [*a]`) never ends
            raise YamlError(f"values nested deeper than {MAX_DEPTH} levels", _mark(node))
        if self.count > MAX_NODES:
            raise YamlError(f"more than {MAX_NODES} values once aliases are expanded", _mark(node))
        self.source.marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node)
            if not isinstance(key, str | int | bool | float):
                raise YamlError("mapping keys must be plain scalars", _mark(key_node))
            if key in result:
                raise YamlError(f"duplicate key {key!r}", _mark(key_node))
            child = (*path, str(key))
            self.source.key_marks[child] = _mark(key_node)
            result[key] = self.build(value_node, child)
        return result

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None  # a collection as a key: the caller refuses it
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_SCALAR_DIGITS:
            raise YamlError(f"a number longer than {MAX_SCALAR_DIGITS} characters", _mark(node))
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as e:  # a timestamp like 2024-13-45
            raise YamlError(f"invalid value {str(node.value)[:40]!r}: {e}", _mark(node)) from e
