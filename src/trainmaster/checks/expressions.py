"""GitHub Actions expressions (`${{ … }}`), evaluated as far as a workflow file allows.

Job names may use `matrix`, `strategy`, `inputs`, `github`, `needs` and `vars`. Only what is
known before a run (matrix values, literal inputs, the event) can be evaluated; anything else
raises `Unknown`, and the caller reports the name as unevaluable. Semantics follow GitHub's
documented rules: loose equality with case-insensitive strings, `&&`/`||` returning operands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from trainmaster.checks.values import (
    FUNCTIONS,
    ExpressionError,
    Unknown,
    compare,
    numeric,
    to_text,
    truthy,
)

__all__ = [
    "ExpressionError",
    "Partial",
    "Unknown",
    "evaluate",
    "has_expression",
    "interpolate",
    "references",
    "segments",
]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>0x[0-9a-fA-F]+|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[<>!()\[\].,*])"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_-]*))"
)


def segments(text: str) -> list[tuple[bool, str]]:
    """Split `a ${{ x }} b` into (is_expression, text) parts; `}}` inside strings is skipped."""
    parts: list[tuple[bool, str]] = []
    rest = text
    while (start := rest.find("${{")) >= 0:
        end = _closing(rest, start + 3)
        if end < 0:
            raise ExpressionError(f"unclosed expression in {text!r}")
        if start:
            parts.append((False, rest[:start]))
        parts.append((True, rest[start + 3 : end].strip()))
        rest = rest[end + 2 :]
    if rest:
        parts.append((False, rest))
    return parts


def _closing(text: str, index: int) -> int:
    quoted = False
    while index < len(text) - 1:
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and text.startswith("}}", index):
            return index
        index += 1
    return -1


def has_expression(text: str) -> bool:
    return "${{" in text


def references(text: str, context: str) -> bool:
    """Whether any expression in `text` reads the named context (e.g. `matrix`)."""
    try:
        parts = segments(text)
    except ExpressionError:
        return False
    for is_expr, body in parts:
        if is_expr and any(
            m.group("ident") == context for m in _TOKEN.finditer(body) if m.group("ident")
        ):
            return True
    return False


def interpolate(text: str, contexts: Mapping[str, Any]) -> str:
    """Evaluate every `${{ }}` in `text` and join the parts as GitHub does."""
    return "".join(
        to_text(evaluate(body, contexts)) if is_expr else body for is_expr, body in segments(text)
    )


def evaluate(expression: str, contexts: Mapping[str, Any]) -> Any:
    """The value of one expression (without `${{ }}`); `Unknown` if it needs run-time data."""
    try:
        return _eval(parse(expression), contexts)
    except (TypeError, ValueError, IndexError, RecursionError) as e:
        if isinstance(e, ExpressionError):
            raise
        raise ExpressionError(f"cannot evaluate {expression!r}: {e}") from e


def parse(expression: str) -> Node:
    parser = _Parser(_tokens(expression))
    node = parser.expression()
    if parser.position != len(parser.tokens):
        raise ExpressionError(f"unexpected {parser.tokens[parser.position][1]!r}")
    return node


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


Node = tuple[Any, ...]


class Partial(dict[str, Any]):
    """A context whose listed members are known; reading any other one is `Unknown`."""


class _Parser:
    """Precedence climbing to a small tree: || < && < ==,!= < <,>,<=,>= < ! < member access."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise ExpressionError("unexpected end of expression")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token[1]!r}")
        self.position += 1
        return token

    def expression(self) -> Node:
        return self.either()

    def either(self) -> Node:
        node = self.both()
        while self.peek() == "||":
            self.take()
            node = ("or", node, self.both())
        return node

    def both(self) -> Node:
        node = self.comparison()
        while self.peek() == "&&":
            self.take()
            node = ("and", node, self.comparison())
        return node

    def comparison(self) -> Node:
        node = self.unary()
        while self.peek() in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            node = ("cmp", op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "!":
            self.take()
            return ("not", self.unary())
        node = self.primary()
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                name = self.take()[1]
                node = ("star", node) if name == "*" else ("member", node, ("lit", name))
            else:
                key = self.expression()
                self.take("]")
                node = ("member", node, key)
        return node

    def primary(self) -> Node:  # noqa: PLR0911 - one return per kind of token
        kind, text = self.take()
        if kind == "num":
            return ("lit", float(int(text, 16)) if text.startswith("0x") else _int_or_float(text))
        if kind == "str":
            return ("lit", text[1:-1].replace("''", "'"))
        if text == "(":
            node = self.expression()
            self.take(")")
            return node
        if kind != "ident":
            raise ExpressionError(f"unexpected {text!r}")
        lowered = text.lower()
        if self.peek() == "(":
            self.take()
            args: list[Node] = []
            while self.peek() != ")":
                args.append(self.expression())
                if self.peek() == ",":
                    self.take()
            self.take(")")
            if lowered not in FUNCTIONS:
                raise ExpressionError(f"unknown function {text!r}")
            return ("call", lowered, tuple(args))
        if lowered in ("true", "false"):
            return ("lit", lowered == "true")
        if lowered == "null":
            return ("lit", None)
        return ("ctx", lowered)


def _eval(node: Node, contexts: Mapping[str, Any]) -> Any:  # noqa: PLR0911 - one case per node
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ctx":
        if node[1] not in contexts:
            raise Unknown(str(node[1]))
        return contexts[node[1]]
    if kind == "member":
        key = _eval(node[2], contexts)
        try:
            return _member(_eval(node[1], contexts), key)
        except Unknown:
            raise Unknown(f"{_path(node[1])}.{to_text(key)}") from None
    if kind == "star":
        raise Unknown("object filters are not evaluated")
    if kind == "call":
        return FUNCTIONS[node[1]](*(_eval(a, contexts) for a in node[2]))
    if kind == "not":
        return not truthy(_eval(node[1], contexts))
    if kind == "cmp":
        return compare(node[1], _eval(node[2], contexts), _eval(node[3], contexts))
    left = _eval(node[1], contexts)  # && and || return an operand, short-circuiting
    if truthy(left) == (kind == "or"):
        return left
    return _eval(node[2], contexts)


def _member(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(key, str) and k.lower() == key.lower():
                return v
        if isinstance(value, Partial):
            raise Unknown(str(key))
        return None
    if isinstance(value, list) and numeric(key):
        index = int(key)
        return value[index] if 0 <= index < len(value) else None
    return None


def _path(node: Node) -> str:
    """`github.event` for the tree of `github.event`, to say which value is unknown."""
    if node[0] == "ctx":
        return str(node[1])
    if node[0] == "member" and node[2][0] == "lit":
        return f"{_path(node[1])}.{node[2][1]}"
    return "(value)"


def _int_or_float(text: str) -> float:
    number = float(text)
    plain = "." not in text and "e" not in text.lower()
    return int(number) if number.is_integer() and plain else number
