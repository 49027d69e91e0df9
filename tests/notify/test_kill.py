"""A sender killed (SIGKILL) between the commit and the delivery loses nothing: the next run
delivers what the dead process wrote, with the same webhook-id, verified by the reference
library; a message the receiver already got is recognised by its id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from tests.notify.receiver import Answer, Receiver
from tests.train.conftest import Rig
from tests.train.fakes import DIGEST_A, DIGEST_OLD, FileCluster
from trainmaster.notify.deliver import Deliverer
from trainmaster.notify.outbox import PENDING, SENT, listing

SCRIPT = textwrap.dedent(
    """
    import sys
    from tests.notify.test_kill import sender_process
    sender_process(*sys.argv[1:])
    """
)


def sender_process(
    store_url: str, repo: str, state: str, policy_file: str, train: str, kill: str
) -> None:
    from tests.train.fakes import Clock, FakeVerifier
    from trainmaster.config import parse_policy
    from trainmaster.notify.hook import install
    from trainmaster.store import open_store
    from trainmaster.train.rules import train_path
    from trainmaster.train.service import TrainService

    policy = parse_policy(Path(policy_file).read_text(), policy_file)
    store = open_store(store_url, Path(repo), upgrade=True)
    install(policy, Path(repo))
    clock = Clock()
    clock.advance(minutes=10)  # past prod's wait timer
    service = TrainService(
        policy, store, Path(repo), cluster=FileCluster(Path(state)),
        verifier=FakeVerifier({n: list(policy.stages[n].gates) for n in train_path(policy)}),
        clock=clock, actor="bob",
    )  # fmt: skip
    service.promote(train, "prod", "bob", "ship it")
    if kill == "after-commit":
        os.kill(os.getpid(), signal.SIGKILL)
    Deliverer(policy, Path(policy_file), store).run()  # "mid-delivery": killed by the test


def pending(rig: Rig) -> list[str]:
    with rig.store.transaction() as session:
        return sorted(m.event_type for m in listing(session, PENDING))


@pytest.mark.slow
@pytest.mark.parametrize("kill", ["after-commit", "mid-delivery"])
def test_a_killed_sender_loses_no_notification(
    kill: str,
    notify_rig: Rig,
    notify_policy: tuple[object, Path],
    hook: Receiver,
    secret: str,
    store_url: str,
    tmp_path: Path,
) -> None:
    rig, policy_file = notify_rig, notify_policy[1]
    state = tmp_path / "cluster.json"
    rig.cluster = FileCluster(state)
    rig.policy = rig.policy.model_copy(
        update={"backends": rig.policy.backends.model_copy(update={"forge": "none"})}
    )
    rig.cluster.pin(rig.service().ports.target("prod"), DIGEST_OLD)
    captain = rig.service("captain")
    train = captain.cut().train_id
    captain.record_artifact(train, DIGEST_A)
    for stage, approvers in (("stage", ["alice"]), ("prod", ["alice", "carol"])):
        captain.deploy(train, stage)
        captain.verify(train, stage)
        for who in approvers:
            rig.service(who).approve(train, stage, who, "looks good")
        if stage == "stage":
            rig.service("bob").promote(train, stage, "bob", "green")
    Deliverer(rig.policy, policy_file, rig.store).run()
    before = len(hook.received)
    assert before == 4 and pending(rig) == []  # announcement, 2 approval requests, stage promoted

    hook.default = Answer(200, delay=30.0)  # holds the request: the sender never hears back
    root = Path(__file__).resolve().parents[2]
    args = [store_url, str(rig.repo), str(state), str(policy_file), train, kill]
    sender = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stderr=subprocess.PIPE,
        text=True,
    )
    if kill == "mid-delivery":
        deadline = time.monotonic() + 60
        while len(hook.received) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(hook.received) == before + 1  # the first of the new messages is in flight
        sender.send_signal(signal.SIGKILL)
    _, err = sender.communicate(timeout=120)
    assert sender.returncode == -signal.SIGKILL, err
    assert pending(rig) == ["train.promoted", "train.released"]  # committed with the promotion

    hook.default = Answer(204)
    later = datetime.now(UTC) + timedelta(minutes=5)  # past any lease the dead process held
    report = Deliverer(rig.policy, policy_file, rig.store, now=lambda: later).run()
    assert len(report.sent) == 2 and pending(rig) == []
    new = hook.received[before:]
    verified = [Webhook(secret).verify(r.body, r.headers)["type"] for r in new]
    ids = [r.headers["webhook-id"] for r in new]
    if kill == "mid-delivery":  # the in-flight one again, under the same id
        assert len(new) == 3 and ids[0] == ids[1] and verified[0] == verified[1]
    assert sorted(set(verified)) == ["train.promoted", "train.released"]
    assert len(set(ids)) == 2
    with rig.store.transaction() as session:
        assert {m.status for m in listing(session)} == {SENT}
