"""What the pages read: the board's lanes and columns, roles from the policy, previews and
their TTL, the evidence bundle and its verification, and `trainmaster serve` itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.servers import free_port
from tests.web.conftest import NOW, Project, sign_in, to_prod_approval
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.rollout.preview import (
    EXPIRES_ANNOTATION,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    PR_LABEL,
    PreviewEnv,
)
from trainmaster.web.board import DONE, column_of
from trainmaster.web.people import may_sign_in, roles_of
from trainmaster.web.settings import Site

TRAIN = "v1.1.0"


def test_a_train_sits_in_the_furthest_stage_it_reached() -> None:
    stages = ["stage", "prod"]
    assert column_of("open", stages, {}) == "cut"
    assert column_of("open", stages, {"stage": "verifying"}) == "stage"
    assert column_of("open", stages, {"stage": "promoted", "prod": "verifying"}) == "prod"
    for ended in ("released", "rolled_back", "aborted"):
        assert column_of(ended, stages, {"stage": "promoted"}) == DONE


def test_the_done_column_keeps_the_newest_twenty(site: Site) -> None:
    from datetime import timedelta

    from trainmaster.store.models import TrainRow
    from trainmaster.web.board import DONE_SHOWN, board

    with site.store.transaction() as session:
        for n in range(DONE_SHOWN + 5):
            session.add(
                TrainRow(
                    id=f"v1.{n}.0",
                    kind="scheduled",
                    version=f"1.{n}.0",
                    state="released",
                    branch="b",
                    tag="t",
                    commit_sha="c",
                    author="captain",
                    created_at=NOW + timedelta(minutes=n),
                    updated_at=NOW,
                )
            )
        session.add(
            TrainRow(
                id="v9.0.0",
                kind="hotfix",
                version="9.0.0",
                state="open",
                branch="b",
                tag="t",
                commit_sha="c",
                author="captain",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    data = board(site.policy, site.store, NOW)
    done = [c["train"] for c in data["lanes"]["scheduled"][DONE]]
    assert len(done) == DONE_SHOWN and done[0] == f"v1.{DONE_SHOWN + 4}.0"  # newest first
    assert data["older_done"] == {"scheduled": 5, "hotfix": 0}
    assert [c["train"] for c in data["lanes"]["hotfix"]["cut"]] == ["v9.0.0"]


def test_roles_come_from_the_policy_by_login_or_email() -> None:
    policy = parse_policy(seed_policy_text("acme", "maestro"))
    assert roles_of(policy, "alice") == ()
    assert may_sign_in(policy, ())  # no role lists members yet: anyone GitHub vouches for
    text = seed_policy_text("acme", "maestro").replace(
        "    title: Release Captain\n    members: []",
        "    title: Release Captain\n    members: [Alice, bob@example.com]",
    )
    enforced = parse_policy(text)
    assert roles_of(enforced, "alice") == ("release-captain",)
    assert roles_of(enforced, "bobby", "BOB@example.com") == ("release-captain",)
    assert roles_of(enforced, "mallory") == ()
    assert not may_sign_in(enforced, ())


def test_board_lanes_and_the_train_moving(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    to_prod_approval(cli)
    sign_in(client, site, "alice")
    board = client.get("/api/v1/board").json()
    assert board["columns"] == ["cut", "stage", "prod", DONE]
    assert [c["train"] for c in board["lanes"]["scheduled"]["prod"]] == [TRAIN]
    assert board["lanes"]["scheduled"]["prod"][0]["stage_status"] == "awaiting_approval"
    assert board["lanes"]["hotfix"]["prod"] == []
    assert [c["status"] for c in board["next_cuts"]] and board["freezes"][0]["name"] == "year-end"
    csrf = sign_in(client, site, "captain")
    aborted = client.post(
        f"/trains/{TRAIN}/abort",
        data={"csrf": csrf, "reason": "a blocker was found in review"},
        follow_redirects=False,
    )
    assert aborted.status_code == 303
    board = client.get("/api/v1/board").json()
    assert [c["train"] for c in board["lanes"]["scheduled"][DONE]] == [TRAIN]


def test_previews_with_their_time_to_live(client: TestClient, site: Site) -> None:
    def env(name: str, pr: int, expires: str | None, managed: bool = True) -> PreviewEnv:
        labels = {PR_LABEL: str(pr)}
        if managed:
            labels[MANAGED_BY_LABEL] = MANAGED_BY
        return PreviewEnv(name, labels, {EXPIRES_ANNOTATION: expires} if expires else {})

    later = (NOW + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    earlier = (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    site.previews = lambda: [
        env("pr-7", 7, later),
        env("pr-3", 3, earlier),
        env("pr-9", 9, None),
        env("someone-elses", 1, later, managed=False),
    ]
    sign_in(client, site, "alice")
    items = client.get("/api/v1/previews").json()["items"]
    assert [(i["namespace"], i["seconds_left"], i["expired"]) for i in items] == [
        ("pr-3", -60, True),
        ("pr-7", 7200, False),
        ("pr-9", None, False),
    ]
    page = client.get("/previews").text
    assert "120 min" in page and "expired" in page and "someone-elses" not in page


def test_evidence_download_and_its_verification(
    client: TestClient,
    site: Site,
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    to_prod_approval(cli)
    sign_in(client, site, "alice")
    assert client.get(f"/api/v1/trains/{TRAIN}").json()["evidence"]["present"] is False
    assert client.get(f"/trains/{TRAIN}/evidence").status_code == 404
    missing = client.get(f"/api/v1/trains/{TRAIN}/evidence")
    assert missing.status_code == 404 and missing.json()["title"] == "not found"
    built = cli("--actor", "captain", "evidence", "build", TRAIN)
    assert built.code == 0, built.err
    evidence = client.get(f"/api/v1/trains/{TRAIN}").json()["evidence"]
    assert evidence["present"] and evidence["verified"], evidence
    download = client.get(f"/trains/{TRAIN}/evidence")
    assert download.status_code == 200 and download.content[:2] == b"\x1f\x8b"  # gzip
    assert client.get(f"/api/v1/trains/{TRAIN}/evidence").content == download.content
    bundle = site.evidence_dir / evidence["name"]
    bundle.write_bytes(download.content[:-40] + b"\0" * 40)  # tampered with
    broken = client.get(f"/api/v1/trains/{TRAIN}").json()["evidence"]
    assert broken["present"] and not broken["verified"] and broken["detail"]
    assert "not verified" in client.get(f"/trains/{TRAIN}").text


def test_trainmaster_serve_answers_on_loopback(project: Project) -> None:
    port = free_port()
    env = {**os.environ, "TRAINMASTER_SESSION_SECRET": "x" * 40}
    process = subprocess.Popen(
        [sys.executable, "-m", "trainmaster", "serve", "--port", str(port)],
        cwd=project.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        front = httpx.get(f"{base}/")
        assert (front.status_code, front.headers["location"]) == (303, "/signin")
        assert "TRAINMASTER_OAUTH_CLIENT_ID" in httpx.get(f"{base}/signin").text
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not (Path(project.path) / ".trainmaster" / "session.key").exists()  # env secret used


def test_the_session_secret_is_made_once_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainmaster.errors import UsageError
    from trainmaster.web.settings import SECRET_ENV, session_secret

    monkeypatch.delenv(SECRET_ENV, raising=False)
    first = session_secret(tmp_path / "state")
    assert len(first) == 32 and session_secret(tmp_path / "state") == first
    assert (tmp_path / "state" / "session.key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(UsageError, match="at least 32 characters"):
        session_secret(tmp_path / "other")


def test_every_open_page_shares_one_read_of_the_chains_tail() -> None:
    import asyncio

    from trainmaster.web.live import Tail

    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return 41 + len(reads)

    async def many() -> list[int]:
        tail = Tail(read, every=60.0)
        return list(await asyncio.gather(*(tail.latest() for _ in range(50))))

    assert asyncio.run(many()) == [42] * 50
    assert len(reads) == 1
