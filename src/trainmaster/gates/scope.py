"""Which series a signal measures: the colour under test, as label matchers on every selector.

A blue-green verification of the preview must never read the active colour's series (and the
other way round after promotion). The policy's `metrics.pods` template says how one colour's
pods are labelled in Prometheus — by default kube-prometheus' `pod` label, an Argo Rollouts pod
being named `<rollout>-<rollouts-pod-template-hash>-<suffix>` — and `scoped` adds those matchers
to every series selector of a query. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import replace

from trainmaster.config.model import Policy
from trainmaster.errors import PolicyError
from trainmaster.gates.promql import (
    Aggregate,
    Binary,
    Call,
    Expr,
    Matcher,
    Negate,
    Selector,
    parse,
)
from trainmaster.gates.promql_text import render
from trainmaster.gates.queries import Scope
from trainmaster.rollout.port import RolloutState

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def colour_selector(template: str, name: str, pod_hash: str) -> str:
    """The template's matchers for one rollout's pods of one pod-template hash."""
    for value in (name, pod_hash):
        if not _NAME.match(value):
            raise PolicyError(f"metrics.pods: {value!r} is not a Kubernetes name or hash")
    return template.replace("{name}", name).replace("{hash}", pod_hash)


def scope_for(
    policy: Policy,
    stage: str,
    service: str | None = None,
    *,
    rollout: RolloutState | None = None,
    colour: str | None = None,
) -> Scope:
    """The scope of `service` (default: the stage's) in `stage`; with a rollout and a colour
    ("active" or "preview"), only that colour's pods. A colour whose hash the rollout does not
    report (nothing deployed there) leaves the scope on the whole service."""
    spec = policy.stage(stage)
    name = service or spec.service
    scope = Scope(service=name, namespace=spec.namespace)
    if rollout is None or colour is None:
        return scope
    pod_hash = rollout.preview_hash if colour == "preview" else rollout.active_hash
    if not pod_hash:
        return scope
    selector = colour_selector(policy.metrics.pods, rollout.target.name, pod_hash)
    return replace(scope, colour=colour, selector=selector)


def colour_of(rollout: RolloutState, image: str) -> str | None:
    """Which colour runs `image` (a reference, or a bare `sha256:` digest): the preview first
    (a preview being verified), then the active one; None when neither does."""

    def runs(reference: str | None) -> bool:
        return bool(reference) and (reference == image or str(reference).endswith("@" + image))

    if runs(rollout.preview):
        return "preview"
    if runs(rollout.stable):
        return "active"
    return None


def scoped(query: str, selector: str) -> str:
    """`query` with `selector`'s matchers added to every series selector (PromQL subset of
    `gates.promql`; anything outside it cannot be scoped and raises Unsupported)."""
    if not selector:
        return query
    extra = parse("{" + selector + "}")
    assert isinstance(extra, Selector)
    return render(_add(parse(query), extra.matchers))


def _add(expr: Expr, matchers: tuple[Matcher, ...]) -> Expr:
    if isinstance(expr, Selector):
        # A label may carry several matchers (all must hold): `pod=~"$service-.*"` in the query
        # and the colour's `pod=~"<rollout>-<hash>-.*"` narrow each other.
        added = tuple(m for m in matchers if m not in expr.matchers)
        return Selector(expr.matchers + added, expr.range)
    if isinstance(expr, Call):
        return Call(expr.name, tuple(_add(a, matchers) for a in expr.args))
    if isinstance(expr, Aggregate):
        return replace(expr, expr=_add(expr.expr, matchers))
    if isinstance(expr, Binary):
        return replace(expr, lhs=_add(expr.lhs, matchers), rhs=_add(expr.rhs, matchers))
    if isinstance(expr, Negate):
        return Negate(_add(expr.expr, matchers))
    return expr
