"""`trainmaster demo`: build the workspace and the stack, tell the story, prove it, sum it up.

Exit 0 only if the healthy release shipped, the regressed one was rolled back, every evidence
bundle verified and the audit chain is intact. Ctrl-C stops every child process (load runs, the
releases, the proxies) and leaves the SQLite store consistent: every write is one transaction.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.demo.inbox import Inbox, start_inbox
from trainmaster.demo.show import Show
from trainmaster.demo.story import CAPTAIN, Outcome, Stack, Story

if TYPE_CHECKING:
    from trainmaster.config import Policy
    from trainmaster.gates.port import Metrics
    from trainmaster.store import Store


def run_demo(keep: Path | None = None, show: Show | None = None) -> Outcome:
    from trainmaster.demo.traffic import check_extras

    check_extras()  # before any folder, process or port exists
    show = show or Show()
    workspace = keep or Path(tempfile.mkdtemp(prefix="trainmaster-demo-"))
    if keep is not None and keep.exists() and any(keep.iterdir()):
        from trainmaster.errors import UsageError

        raise UsageError(f"--keep {keep}: the folder is not empty")
    outcome = Outcome()
    try:
        with ExitStack() as cleanup:
            inbox = start_inbox(cleanup)  # notify (issue 20): a local signed-webhook receiver
            stack = _build(workspace, show, cleanup, inbox)
            _tell(Story(stack), stack, outcome, inbox)
    finally:
        if keep is None:
            shutil.rmtree(workspace, ignore_errors=True)
    return outcome


def _build(workspace: Path, show: Show, cleanup: ExitStack, inbox: Inbox) -> Stack:
    from trainmaster.config import load_policy
    from trainmaster.demo.policy import demo_policy_text
    from trainmaster.demo.workspace import create_repository
    from trainmaster.gates.backends import local_scrape_urls, metrics_for
    from trainmaster.rollout.backends import target_for
    from trainmaster.wiring import App

    show.heading("trainmaster demo: a weekly release train on this machine")
    repo = workspace / "maestro"
    create_repository(repo, demo_policy_text() + inbox.policy_section())
    policy = load_policy(repo / "trainmaster.yaml")
    metrics: dict[str, Metrics] = {}
    # The demo owns its local target (shared_cluster=False): closing the App stops the releases.
    app = App(policy, repo, shared_cluster=False, verifier=_StageVerifier(policy, metrics))
    cleanup.callback(app.close)
    _notify(policy, repo, app.store, show, cleanup, inbox)
    cluster = app.built_cluster()
    for stage in ("stage", "prod"):
        urls = local_scrape_urls(policy, cluster, target_for(policy, stage))
        metrics[stage] = metrics_for(policy, scrape_urls=urls, scrape_interval=0.5)
        cleanup.callback(metrics[stage].close)
    show.step(
        f"workspace {workspace}: git repository, trainmaster.yaml, SQLite store, local target"
    )
    return Stack(policy, repo, app, cluster, metrics, show, workspace / "load")


class _StageVerifier:
    """Verify each stage on its own metrics (stage and prod run side by side on this machine)."""

    def __init__(self, policy: Policy, metrics: Mapping[str, Metrics]) -> None:
        self.policy, self.metrics = policy, metrics  # filled once the local target runs

    def verify(self, stage: str, digest: str, **kwargs: object):  # type: ignore[no-untyped-def]
        from trainmaster.train.verification import GatesVerifier

        each = GatesVerifier(self.policy, self.metrics[stage])
        return each.verify(stage, digest, **kwargs)  # type: ignore[arg-type]


def _notify(
    policy: Policy, repo: Path, store: Store, show: Show, cleanup: ExitStack, inbox: Inbox
) -> None:
    """Notify (issue 20): the outbox is written with each audit event and sent to the inbox."""
    from trainmaster.demo.inbox import start_sender, summary_line

    cleanup.callback(lambda: show.step(summary_line(inbox)))
    start_sender(policy, repo / "trainmaster.yaml", store, cleanup)
    show.step(f"notifications: the policy's target demo-inbox is {inbox.url} (signed webhooks)")


def _tell(story: Story, stack: Stack, outcome: Outcome, inbox: Inbox) -> None:
    from trainmaster.demo.workspace import add_commits, first_train_commits, second_train_commits

    show = stack.show
    story.schedule()
    story.bootstrap()
    for title, commits in (
        ("Thursday's train: orders endpoint, health fix, docs", first_train_commits()),
        ("Next Thursday's train: database connection reuse, pagination", second_train_commits()),
    ):
        add_commits(stack.repo, commits)
        show.heading(title)
        train = story.train(outcome)
        inbox.show_new(show)
        _evidence(stack, train, outcome)
    _audit(stack, outcome)


def _evidence(stack: Stack, train: str, outcome: Outcome) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from trainmaster.evidence.use_cases import BuildInput, build_bundle, verify
    from trainmaster.wiring import App

    key = Ed25519PrivateKey.generate()
    began = time.monotonic()
    # Charts come from production's scraper, running since the start: an App over the demo's own
    # store, target and prod metrics (lent, so this App closes none of them).
    lent = {"store": stack.app.store, "cluster": stack.cluster, "metrics": stack.metrics["prod"]}
    with App(stack.policy, stack.repo, shared_cluster=False, **lent) as charting:
        request = BuildInput(CAPTAIN, train, stack.repo / "evidence", signing_key=key, charts=True)
        bundle = build_bundle(charting, request).bundle
    result = verify(bundle.path, key.public_key())
    # The demo pins its own key: kept beside the bundle, outside it, for `evidence verify
    # BUNDLE --public-key` in a kept workspace (the key inside a bundle proves nothing).
    from trainmaster.evidence.signing import public_pem

    pinned = bundle.path.with_name(f"{train}-signing-key.pub.pem")
    pinned.write_bytes(public_pem(key.public_key()))
    outcome.evidence.append(bundle.path)
    stack.show.good(
        f"evidence {bundle.path.name}: {result.files} files, signed, verified "
        f"({time.monotonic() - began:.1f}s)"
    )


def _audit(stack: Stack, outcome: Outcome) -> None:
    from trainmaster.audit import AuditLog

    log = AuditLog(stack.app.store)
    broken = log.verify()
    outcome.events = sum(1 for _ in log.events())
    outcome.audit_intact = broken is None
    if broken is None:
        stack.show.good(f"audit verify: chain intact ({outcome.events} events)")
    else:
        stack.show.bad(f"audit verify: chain broken at seq {broken}")
