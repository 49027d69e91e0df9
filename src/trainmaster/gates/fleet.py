"""One query per signal for a whole fleet: the per-service query, rewritten to select every
service at once and to keep each series attributed to its service. Pure: no I/O.

The per-service query is built with a placeholder service; each matcher holding the placeholder
(`job="<svc>"`, `pod=~"<svc>-.*"`) becomes a regex over the set of services, and the lowest
instant vector over each selector is wrapped in `label_replace` copying the matched service name
into `tm_service`. Every aggregation then also groups by `tm_service` and every `on (…)` matches
on it, so the fleet query computes exactly the per-service values side by side; `split` hands each
service its own series (a service absent from the answer gets none: no data for it alone).

A query that cannot be rewritten faithfully — a selector without the service (its series could
not be attributed), `vector()` (a constant belongs to no service), a negative matcher on the
service, a capture group before the service in a regex — returns None: the caller falls back to
one query per service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from trainmaster.gates.port import Series
from trainmaster.gates.promql import (
    Aggregate,
    Binary,
    Call,
    Expr,
    Matcher,
    Negate,
    Number,
    Selector,
    String,
    Unsupported,
    parse,
)
from trainmaster.gates.promql_text import render

TAG = "tm_service"
PLACEHOLDER = "tm-fleet-service"  # a valid service name no policy uses


class _NotFaithful(Exception):
    """The rewrite would not compute the per-service values."""


def fleet_query(query: str, services: Sequence[str]) -> str | None:
    """The one query computing `query` (built for PLACEHOLDER) for every service, each series
    tagged with its service in TAG; None when that cannot be done faithfully."""
    if not services or TAG in query:
        return None
    try:
        return render(_rewrite(parse(query), _Names.of(services)))
    except (Unsupported, _NotFaithful):
        return None


def fleet_queries(
    query: str, services: Sequence[str], limit: int | None
) -> list[tuple[Sequence[str], str]] | None:
    """`fleet_query` for `services`, halved until each query fits in `limit` characters (the
    embedded engine bounds what it parses; Prometheus takes a POSTed query of any length)."""
    fleet = fleet_query(query, services)
    if fleet is None or limit is None or len(fleet) <= limit:
        return None if fleet is None else [(services, fleet)]
    if len(services) == 1:
        return None
    half = len(services) // 2
    first = fleet_queries(query, services[:half], limit)
    second = fleet_queries(query, services[half:], limit)
    return None if first is None or second is None else first + second


def split(series: Sequence[Series], services: Sequence[str]) -> dict[str, list[Series]]:
    """Each service's own series, the TAG removed; a service without any gets an empty list."""
    out: dict[str, list[Series]] = {s: [] for s in services}
    for s in series:
        service = s.labels.get(TAG)
        if service in out:
            labels = {k: v for k, v in s.labels.items() if k != TAG}
            out[service].append(Series(labels=labels, points=s.points))
    return out


_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


def _quote(text: str) -> str:
    """Go's regexp.QuoteMeta: only the metacharacters (Python's re.escape also escapes `-`)."""
    return _META.sub(r"\\\1", text)


@dataclass(frozen=True)
class _Names:
    """The fleet's service names as the rewrite needs them."""

    flat: str  # `a|b\\.c`: Prometheus' index answers a bare literal alternation as a set lookup
    trie: str  # the same set as a prefix tree, for label_replace: a 1,000-way alternation with a
    # capture group costs Go's regexp ~1 ms per series; the tree only follows matching branches
    overlapping: bool  # a name begins another one

    @classmethod
    def of(cls, services: Sequence[str]) -> _Names:
        names = sorted(set(services))
        overlapping = any(b.startswith(a) for a, b in pairwise(names))
        return cls("|".join(_quote(n) for n in names), _trie(names), overlapping)


def _trie(names: Sequence[str]) -> str:
    """A regex matching exactly `names`, factored by common prefixes."""
    if names == [""]:
        return ""
    heads: dict[str, list[str]] = {}
    for name in names:
        heads.setdefault(name[:1], []).append(name[1:])
    branches = [_quote(head) + _trie(rest) if head else "" for head, rest in heads.items()]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _rewrite(expr: Expr, services: _Names) -> Expr:
    if isinstance(expr, Selector):
        if expr.range is not None:
            raise _NotFaithful("a range vector outside a function")
        selector, tag = _select(expr, services)
        return _tagged(selector, tag)
    if isinstance(expr, Call):
        return _call(expr, services)
    if isinstance(expr, Aggregate):
        inner = _rewrite(expr.expr, services)
        labels = expr.labels if expr.without else (*expr.labels, TAG)
        return replace(expr, expr=inner, labels=labels)
    if isinstance(expr, Binary):
        on = None if expr.on is None else (*expr.on, TAG)
        lhs, rhs = _rewrite(expr.lhs, services), _rewrite(expr.rhs, services)
        return replace(expr, lhs=lhs, rhs=rhs, on=on)
    if isinstance(expr, Negate):
        return Negate(_rewrite(expr.expr, services))
    return expr  # numbers and strings belong to every service alike


def _call(expr: Call, services: _Names) -> Expr:
    if expr.name == "vector":
        raise _NotFaithful("vector() has no service")
    ranged = [a for a in expr.args if isinstance(a, Selector) and a.range is not None]
    if ranged:
        selector, tag = _select(ranged[0], services)
        args = tuple(selector if a is ranged[0] else a for a in expr.args)
        return _tagged(Call(expr.name, args), tag)
    args = tuple(a if isinstance(a, Number | String) else _rewrite(a, services) for a in expr.args)
    return Call(expr.name, args)


def _select(selector: Selector, services: _Names) -> tuple[Selector, tuple[str, str]]:
    """The selector over every service, and (label, regex) that recovers the service name."""
    matchers: list[Matcher] = []
    tag: tuple[str, str] | None = None
    for m in selector.matchers:
        if PLACEHOLDER not in m.value:
            matchers.append(m)
            continue
        if m.op in ("!=", "!~"):
            raise _NotFaithful("a negative matcher on the service")
        before, _, after = m.value.partition(PLACEHOLDER)
        if PLACEHOLDER in after:
            raise _NotFaithful("the service twice in one matcher")
        if m.op == "=":
            # The label's value is before + one of the names + after, literally: `(.*)` between
            # the literal ends recovers the name, with no alternation to run.
            before, after = _quote(before), _quote(after)
            capture = "(.*)"
        elif "(" in before.replace("\\(", "") or "|" in before + after:
            raise _NotFaithful("a group or an alternation around the service")
        elif services.overlapping:
            # `pod=~"a-.*"` also selects service a-b's pods; per service, both would count them
            raise _NotFaithful("a service name that begins another one, in a regex")
        else:
            capture = f"({services.trie})"
        group = f"(?:{services.flat})" if before or after else services.flat
        matchers.append(Matcher(m.name, "=~", f"{before}{group}{after}"))
        tag = tag or (m.name, f"{before}{capture}{after}")
    if tag is None:
        raise _NotFaithful("a selector without the service")
    return Selector(tuple(matchers), selector.range), tag


def _tagged(expr: Expr, tag: tuple[str, str]) -> Expr:
    label, regex = tag
    return Call("label_replace", (expr, String(TAG), String("$1"), String(label), String(regex)))
