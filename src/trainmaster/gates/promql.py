"""A small PromQL subset: the parser. Enough for golden-signal gates, so one query string works
on Prometheus and on the embedded scraper alike.

Supported: selectors with `=`, `!=`, `=~`, `!~` matchers and `[range]`; `rate`, `increase`,
`irate`, `histogram_quantile`, `label_replace`, `vector`, `*_over_time`; `sum`, `avg`, `min`,
`max`, `count` with `by`/`without`; `+ - * /` between scalars and vectors (with `on`/`ignoring`);
`or`; parentheses and unary minus. Anything else raises `Unsupported` with the offending token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trainmaster.config.durations import parse_duration

FUNCTIONS = {
    "rate": ("matrix",),
    "increase": ("matrix",),
    "irate": ("matrix",),
    "histogram_quantile": ("scalar", "vector"),
    "label_replace": ("vector", "string", "string", "string", "string"),
    "vector": ("scalar",),
    "avg_over_time": ("matrix",),
    "max_over_time": ("matrix",),
    "min_over_time": ("matrix",),
    "sum_over_time": ("matrix",),
    "count_over_time": ("matrix",),
}
AGGREGATIONS = {"sum", "avg", "min", "max", "count"}
_PRECEDENCE = [("or",), ("+", "-"), ("*", "/")]


class Unsupported(ValueError):
    """The query uses PromQL outside the embedded subset (or is not PromQL at all)."""


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class String:
    value: str


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str

    def matches(self, actual: str) -> bool:
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = _regex(self.value).fullmatch(actual) is not None  # PromQL regexes are anchored
        return found if self.op == "=~" else not found


@dataclass(frozen=True)
class Selector:
    matchers: tuple[Matcher, ...]
    range: float | None = None  # seconds, for a range vector


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Aggregate:
    op: str
    expr: Expr
    labels: tuple[str, ...] = ()
    without: bool = False


@dataclass(frozen=True)
class Binary:
    op: str
    lhs: Expr
    rhs: Expr
    on: tuple[str, ...] | None = None
    ignoring: tuple[str, ...] = ()


@dataclass(frozen=True)
class Negate:
    expr: Expr


Expr = Number | String | Selector | Call | Aggregate | Binary | Negate

_regex_cache: dict[str, re.Pattern[str]] = {}


def _regex(text: str) -> re.Pattern[str]:
    if text not in _regex_cache:
        try:
            _regex_cache[text] = re.compile(text)
        except re.error as e:
            raise Unsupported(f"invalid regular expression {text!r}: {e}") from e
    return _regex_cache[text]


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![a-zA-Z_:])|[Ii]nf\b|NaN\b)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    | (?P<range>\[[^\]]*\])
    | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
    | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^(){},=<>])
    )""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.lastgroup is None:
            raise Unsupported(f"unexpected {text[pos:].strip()[:20]!r}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return tokens


def parse(text: str) -> Expr:
    # hostile-input hook: bound length and nesting before the recursive descent below, and
    # make any failure inside it (a bad escape, a hex number past float range) Unsupported
    from trainmaster.config.limits import check_query

    try:
        check_query(text)
        parser = _Parser(tokenize(text))
        expr = parser.expression(0)
    except Unsupported:
        raise
    except (ValueError, ArithmeticError) as e:
        raise Unsupported(f"cannot read the query: {e}") from e
    if parser.peek() is not None:
        raise Unsupported(f"unexpected {parser.peek()!r}")
    return expr


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise Unsupported("the query ends too early")
        token = self.tokens[self.i]
        if expected is not None and token[1] != expected:
            raise Unsupported(f"expected {expected!r}, found {token[1]!r}")
        self.i += 1
        return token

    def expression(self, level: int) -> Expr:
        if level == len(_PRECEDENCE):
            return self.unary()
        lhs = self.expression(level + 1)
        while self.peek() in _PRECEDENCE[level]:
            op = self.take()[1]
            on, ignoring = self.matching()
            rhs = self.expression(level + 1)
            lhs = Binary(op, lhs, rhs, on, ignoring)
        if self.peek() in ("and", "unless", "==", "!=", ">", "<", ">=", "<=", "%", "^"):
            raise Unsupported(f"operator {self.peek()!r} is outside the embedded PromQL subset")
        return lhs

    def matching(self) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        if self.peek() == "on":
            self.take()
            return self.label_list(), ()
        if self.peek() == "ignoring":
            self.take()
            return None, self.label_list()
        if self.peek() in ("group_left", "group_right", "bool"):
            raise Unsupported(f"{self.peek()!r} is outside the embedded PromQL subset")
        return None, ()

    def unary(self) -> Expr:
        if self.peek() in ("-", "+"):
            sign = self.take()[1]
            inner = self.unary()
            return Negate(inner) if sign == "-" else inner
        return self.primary()

    def primary(self) -> Expr:
        kind, text = self.take()
        if kind in ("number", "string"):
            return _literal(kind, text)
        if text == "(":
            inner = self.expression(0)
            self.take(")")
            return inner
        if text == "{":
            self.i -= 1
            return self.selector(None)
        if kind != "ident" or text in ("offset", "by", "without", "on", "ignoring"):
            raise Unsupported(f"unexpected {text!r}")
        if text in AGGREGATIONS:
            return self.aggregate(text)
        if self.peek() == "(" or text in FUNCTIONS:
            return self.call(text)
        return self.selector(text)

    def selector(self, name: str | None) -> Selector:
        matchers = [Matcher("__name__", "=", name)] if name else []
        if self.peek() == "{":
            self.take()
            while self.peek() != "}":
                label = self.take()
                op = self.take()[1]
                value = self.take()
                if label[0] != "ident" or op not in ("=", "!=", "=~", "!~") or value[0] != "string":
                    raise Unsupported(f"bad label matcher near {label[1]!r}")
                matchers.append(Matcher(label[1], op, _unquote(value[1])))
                if self.peek() == ",":
                    self.take()
            self.take("}")
        if not matchers:
            raise Unsupported("a selector needs a metric name or a matcher")
        window = None
        if self.i < len(self.tokens) and self.tokens[self.i][0] == "range":
            window = _range_seconds(self.take()[1])
        if self.peek() == "offset":
            raise Unsupported("'offset' is outside the embedded PromQL subset")
        return Selector(tuple(matchers), window)

    def call(self, name: str) -> Call:
        if name not in FUNCTIONS:
            raise Unsupported(f"function {name}() is outside the embedded PromQL subset")
        self.take("(")
        args: list[Expr] = []
        while self.peek() != ")":
            args.append(self.expression(0))
            if self.peek() == ",":
                self.take()
        self.take(")")
        if len(args) != len(FUNCTIONS[name]):
            raise Unsupported(f"{name}() takes {len(FUNCTIONS[name])} arguments, got {len(args)}")
        return Call(name, tuple(args))

    def aggregate(self, op: str) -> Aggregate:
        labels, without = self.grouping()
        self.take("(")
        expr = self.expression(0)
        if self.peek() == ",":
            raise Unsupported(f"{op}() takes one argument")
        self.take(")")
        if labels is None:
            labels, without = self.grouping()
        return Aggregate(op, expr, labels or (), without)

    def grouping(self) -> tuple[tuple[str, ...] | None, bool]:
        if self.peek() in ("by", "without"):
            without = self.take()[1] == "without"
            return self.label_list(), without
        return None, False

    def label_list(self) -> tuple[str, ...]:
        self.take("(")
        labels = []
        while self.peek() != ")":
            labels.append(self.take()[1])
            if self.peek() == ",":
                self.take()
        self.take(")")
        return tuple(labels)


def _literal(kind: str, text: str) -> Expr:
    if kind == "string":
        return String(_unquote(text))
    return Number(float(int(text, 16)) if text.startswith("0x") else float(text))


def _unquote(text: str) -> str:
    if text.startswith("`"):
        return text[1:-1]
    return bytes(text[1:-1], "utf-8").decode("unicode_escape")


def _range_seconds(text: str) -> float:
    inner = text[1:-1].strip()
    if ":" in inner:
        raise Unsupported("subqueries are outside the embedded PromQL subset")
    try:
        return parse_duration(inner).total_seconds()
    except ValueError as e:
        raise Unsupported(f"bad range {text}: {e}") from e
