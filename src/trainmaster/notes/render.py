"""Render notes data through Jinja2 templates: the built-in ones, or the policy's overrides."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from trainmaster.errors import PolicyError, UsageError

if TYPE_CHECKING:  # Jinja2 loads only when a template renders (not for --format json)
    from jinja2 import Environment

Format = Literal["md", "json", "slack"]
Kind = Literal["release", "announce"]
FORMATS: tuple[str, ...] = ("md", "json", "slack")
_DICT_ATTRIBUTES = frozenset(dir(dict))
_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")


def check_format(value: str) -> Format:
    if value not in FORMATS:
        raise UsageError(f"--format: unknown {value!r}; choose one of {', '.join(FORMATS)}")
    return value  # type: ignore[return-value]


def builtin_template(kind: Kind, fmt: Format) -> str:
    # Beside this module, read as a plain file: importlib.resources costs more to import than
    # the rest of a 1,000-commit range's notes take to build.
    path = os.path.join(_TEMPLATES, f"{kind}.{fmt}.j2")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def render(
    data: Mapping[str, Any],
    *,
    kind: Kind = "release",
    fmt: Format = "md",
    overrides: Mapping[str, str] | None = None,
) -> str:
    """`overrides` maps "release.md", "announce.slack", ... to template source text."""
    if fmt == "json":
        return json.dumps(data, indent=2, default=str) + "\n"
    name = f"{kind}.{fmt}"
    source = (overrides or {}).get(name) or builtin_template(kind, fmt)
    from jinja2 import TemplateError

    try:
        text = _environment().from_string(source).render(**data)
    except TemplateError as e:
        line = getattr(e, "lineno", None)
        where = f" (line {line})" if line else ""
        raise PolicyError(f"notes template {name}{where}: {e.message or e}") from e
    return _tidy(text)


def _environment() -> Environment:
    from jinja2 import Environment, StrictUndefined

    class NotesEnvironment(Environment):
        """`c.scope` on a plain dict: Jinja tries the attribute first and catches the
        AttributeError, once per field of every commit. Keys that are not dict attributes are
        looked up directly: the same result, without the exception."""

        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
                if attribute in obj:
                    return obj[attribute]
                return self.undefined(obj=obj, name=attribute)
            return super().getattr(obj, attribute)

    env = NotesEnvironment(
        autoescape=False, trim_blocks=False, keep_trailing_newline=True, undefined=StrictUndefined
    )
    env.filters["slack"] = slack_escape
    return env


def slack_escape(value: object) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tidy(text: str) -> str:
    """Collapse runs of blank lines the template's control blocks leave behind."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines and not lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip("\n") + "\n"
