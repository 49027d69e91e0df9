"""Load `trainmaster.yaml` into a `Policy`; every problem becomes `file:line:col: field: why`."""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from trainmaster.config.limits import check_query
from trainmaster.config.model import Policy
from trainmaster.config.yamlsource import MAX_BYTES, SourceMap, YamlError, load_yaml
from trainmaster.config.yamlsource import Path as DataPath
from trainmaster.errors import PolicyError

DEFAULT_POLICY = "trainmaster.yaml"
_REFERENCE = re.compile(r"^([A-Za-z0-9_.-]+): (.*)$")


def load_policy(path: str | Path = DEFAULT_POLICY) -> Policy:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_BYTES:  # refuse before reading a huge file into memory
            raise PolicyError(f"{file}:1:1: the file is larger than {MAX_BYTES} bytes")
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise PolicyError(
            f"{file}: no such policy file (create one with `trainmaster init`)"
        ) from e
    except (OSError, UnicodeDecodeError) as e:
        raise PolicyError(f"{file}: cannot read the policy file: {e}") from e
    return parse_policy(text, str(file))


def parse_policy(text: str, file: str = DEFAULT_POLICY) -> Policy:
    try:
        data, source = load_yaml(text, file)
    except YamlError as e:
        raise PolicyError(f"{file}:{e.mark.line}:{e.mark.column}: {e.message}") from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(f"{file}:1:1: the policy must be a mapping of sections")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as e:
        lines = [_describe(err, source) for err in e.errors(include_url=False)]
        lines = sorted(dict.fromkeys(lines), key=_line_order)
        raise PolicyError(lines[0], details=lines) from e
    except (ArithmeticError, RecursionError, TypeError, OSError) as e:
        # The error boundary: a validator that meets a value it did not expect must still give
        # one line and exit 2, never a traceback.
        raise PolicyError(f"{file}:1:1: the policy cannot be read: {type(e).__name__}: {e}") from e
    _check_limits(policy, source)
    return policy


def _check_limits(policy: Policy, source: SourceMap) -> None:
    """Bounds the schema cannot express, located like schema errors."""
    lines: list[str] = []
    for name, signal in policy.signals.items():
        for field in ("query", "errors_query", "total_query"):
            query = getattr(signal, field)
            try:
                check_query(query or "")
            except ValueError as e:
                mark = source.locate(("signals", name, field))
                lines.append(
                    f"{source.file}:{mark.line}:{mark.column}: signals.{name}.{field}: {e}"
                )
    if lines:
        raise PolicyError(lines[0], details=lines)


def _line_order(line: str) -> tuple[int, int]:
    parts = line.split(":")
    try:
        return int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        return (0, 0)


def _describe(err: Any, source: SourceMap) -> str:
    loc = _clean_loc(err["loc"], source)
    message = str(err["msg"])
    if not loc and (located := _REFERENCE.match(message.removeprefix("Value error, "))):
        # Cross-reference checks run on the whole policy; their message starts with the path.
        loc = tuple(int(p) if p.isdigit() else p for p in located.group(1).split("."))
        message = located.group(2)
    mark = source.locate(loc, key=err["type"] == "extra_forbidden")
    field = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        message = _unknown_key(loc)
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    elif err["type"] == "missing":
        message = "required field is missing"
    return _one_line(f"{source.file}:{mark.line}:{mark.column}: {field}: {message}")


def _one_line(text: str) -> str:
    """Control characters (a newline in a key) escaped: an error is always one line."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _clean_loc(loc: tuple[Any, ...], source: SourceMap) -> DataPath:
    """Drop pydantic's union-branch and validator tags so the path matches the YAML (a key the
    document really has is kept, even when it looks like a tag)."""
    cleaned: list[str | int] = []
    for part in loc:
        real = (*cleaned, part) in source.marks or (*cleaned, part) in source.key_marks
        tag = isinstance(part, str) and (
            "[" in part or part in {"function-after", "function-before"}
        )
        if tag and not real:
            continue
        cleaned.append(part)
    return tuple(cleaned)


def _unknown_key(loc: DataPath) -> str:
    key = str(loc[-1]) if loc else ""
    allowed = _fields_at(Policy, loc[:-1])
    hint = difflib.get_close_matches(key, allowed, n=1)
    if hint:
        return f"unknown key {key!r}; did you mean {hint[0]!r}?"
    return f"unknown key {key!r}; allowed here: {', '.join(allowed)}"


def _fields_at(model: type[BaseModel], path: DataPath) -> list[str]:
    """The keys a mapping at `path` may hold, walking the model's annotations."""
    current: Any = model
    for part in path:
        current = _step(current, part)
        if current is None:
            return []
    models = [m for m in _unwrap(current) if isinstance(m, type) and issubclass(m, BaseModel)]
    names: list[str] = []
    for m in models:
        for name, info in m.model_fields.items():
            names.append(info.alias or name)
    return sorted(set(names))


def _step(current: Any, part: str | int) -> Any:
    for option in _unwrap(current):
        if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(part, str):
            for name, info in option.model_fields.items():
                if part in (name, info.alias):
                    return info.annotation
        origin = typing.get_origin(option)
        args = typing.get_args(option)
        if origin is dict and args:
            return args[1]
        if origin is list and args and isinstance(part, int):
            return args[0]
    return None


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]
