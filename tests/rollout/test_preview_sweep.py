from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trainmaster.rollout.preview import (
    EXPIRES_ANNOTATION,
    PR_LABEL,
    PreviewEnv,
    preview_namespace,
    select_sweep,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _env(ns: str, pr: int | None, expires: datetime | None, managed: bool = True) -> PreviewEnv:
    labels = {"app.kubernetes.io/managed-by": "trainmaster" if managed else "helm"}
    if pr is not None:
        labels[PR_LABEL] = str(pr)
    notes = {EXPIRES_ANNOTATION: expires.strftime("%Y-%m-%dT%H:%M:%SZ")} if expires else {}
    return PreviewEnv(ns, labels, notes)


def test_namespace_manifest_has_the_labels_and_the_expiry():
    manifest = preview_namespace("pr-7", 7, timedelta(hours=72), NOW)
    assert manifest["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "trainmaster",
        "trainmaster.dev/pr": "7",
    }
    assert manifest["metadata"]["annotations"] == {EXPIRES_ANNOTATION: "2026-12-02T12:00:00Z"}
    assert "annotations" not in preview_namespace("pr-7", 7, None, NOW)["metadata"]


def test_sweep_selects_exactly_expired_and_closed():
    later, earlier = NOW + timedelta(hours=1), NOW - timedelta(seconds=1)
    envs = [
        _env("pr-1", 1, later),  # open, fresh: kept
        _env("pr-2", 2, earlier),  # expired
        _env("pr-3", 3, later),  # closed
        _env("pr-4", 4, later),  # merged
        _env("pr-5", 5, earlier, managed=False),  # not ours: never
        _env("pr-6", 6, None),  # state unknown, no expiry: kept
        _env("pr-8", 8, NOW),  # expires exactly now: expired
    ]
    states = {1: "open", 2: "open", 3: "closed", 4: "merged"}
    chosen = select_sweep(envs, states, NOW)
    assert [(c.namespace, c.reason.split()[0]) for c in chosen] == [
        ("pr-2", "expired"),
        ("pr-3", "PR"),
        ("pr-4", "PR"),
        ("pr-8", "expired"),
    ]
    assert "closed" in chosen[1].reason and "merged" in chosen[2].reason
