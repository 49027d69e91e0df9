"""The whole story in a real browser (Debian chromium through Playwright): sign in with GitHub
(emulated OAuth) → board → train → two approvals → the author refused with the rule shown →
promote → the dashboard draws the breach → roll back with a reason → the audit page shows it,
with the same audit events as the same steps through the CLI. axe-core finds no serious
accessibility violation on any page; each page is photographed under .cache/screenshots/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.emulators.github.core import GitHubEmulator
from tests.web.browser import chromium, serious_violations, serving, snap
from tests.web.conftest import NOW, Project, to_prod_approval
from trainmaster.adapters.prometheus import PrometheusMetrics
from trainmaster.audit.log import AuditLog
from trainmaster.evidence.record import belongs_to
from trainmaster.web.settings import OAuthApp, Site

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)]
TRAIN = "v1.1.0"
OLD = "sha256:" + "0" * 64  # what prod ran before: no release there has a known-good watch yet
STEPS = [  # (who, verb, stage, reason): the same through the browser and through the CLI
    ("alice", "approve", "prod", "alice: dashboards look fine"),
    ("carol", "approve", "prod", "carol: canary numbers are fine"),
    ("captain", "approve", "prod", "my own train looks fine"),  # refused: the author
    ("bob", "promote", "prod", "two approvals, gates green"),
    ("bob", "rollback", "prod", "p95 breach on prod after the promote"),
]


def train_events(site: Site, after: int) -> list[tuple[str, str, str, str]]:
    return [
        (e.action, e.actor, e.target, e.reason)
        for e in AuditLog(site.store).events(since_seq=after)
        if belongs_to(e.target, TRAIN) or e.action in ("approve", "promote", "rollback")
    ]


def tail(site: Site) -> int:
    return max((e.seq for e in AuditLog(site.store).events()), default=0)


@pytest.fixture
def browser_site(
    site: Site, github_emulator: GitHubEmulator, breach_prometheus: str
) -> Iterator[tuple[Site, str, GitHubEmulator]]:
    site.now = lambda: NOW  # the dashboard looks at the Prometheus data's own moment
    site.metrics = lambda: PrometheusMetrics(breach_prometheus)
    with serving(site) as url:
        app = github_emulator.oauth.register(f"{url}/oauth/callback")
        site.oauth = OAuthApp(
            app.client_id, app.client_secret, github_emulator.state.base, github_emulator.url
        )
        yield site, url, github_emulator


def sign_in_as(page: Any, url: str, github: GitHubEmulator, login: str) -> None:
    github.oauth.signed_in = login  # who is signed in at GitHub
    page.context.clear_cookies()
    page.goto(f"{url}/")
    assert page.url == f"{url}/signin"
    page.click("#signin-github")
    page.wait_for_url(f"{url}/")
    assert login in page.locator("header .who").inner_text()


def act(page: Any, url: str, verb: str, stage: str, reason: str, keep: bool = False) -> None:
    if not keep:  # keep: the page is open with other fields already filled
        page.goto(f"{url}/trains/{TRAIN}")
    page.fill(f"#{verb}-{stage}", reason)
    with page.expect_navigation():
        page.click(f"form:has(#{verb}-{stage}) button")


def check_page(page: Any, name: str) -> None:
    assert serious_violations(page) == [], name
    snap(page, name)


def test_the_story_in_a_browser(
    browser_site: tuple[Site, str, GitHubEmulator],
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    site, url, github = browser_site
    to_prod_approval(cli)
    start = tail(site)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/")
        check_page(page, "signin")
        sign_in_as(page, url, github, "alice")
        assert page.locator(f"a[href='/trains/{TRAIN}']").count() == 1
        check_page(page, "board")
        page.click(f"a[href='/trains/{TRAIN}']")
        assert "Approvals 0 of 2" in page.locator("#stage-prod").locator("..").inner_text()
        check_page(page, "train")
        current = "alice"
        for who, verb, stage, reason in STEPS:
            if who != current:
                sign_in_as(page, url, github, who)
                current = who
            if verb == "rollback":
                page.goto(f"{url}/dashboard?stage=prod")
                p95 = page.locator("figure[data-signal='p95-latency'] svg")
                assert p95.get_attribute("data-breaches") == "1"
                shaded = p95.locator("rect.breach").first.bounding_box()
                assert shaded is not None and shaded["width"] > 10 and shaded["height"] > 50
                assert p95.locator("line.threshold").count() == 1
                check_page(page, "dashboard")
            if verb == "rollback":
                page.goto(f"{url}/trains/{TRAIN}")
                page.fill(f"#rollback-to-{stage}", OLD)
                act(page, url, verb, stage, reason, keep=True)
            else:
                act(page, url, verb, stage, reason)
            if who == "captain":
                alert = page.locator(".refusal").inner_text()
                assert "approval.exclude_author" in alert, alert
                check_page(page, "refusal")
            else:
                done = page.locator("p.ok")
                assert done.count() == 1, (page.url, page.locator("main").inner_text()[:800])
                assert done.inner_text() == f"{verb}: done."
        assert "rolled back" in page.locator("h1").inner_text()
        page.goto(f"{url}/audit")
        assert "The chain verifies" in page.locator("#audit-verify").inner_text()
        assert "p95 breach on prod after the promote" in page.locator("table.audit").inner_text()
        check_page(page, "audit")
        page.goto(f"{url}/previews")
        check_page(page, "previews")
        page.goto(f"{url}/trains/v9.9.9")
        assert "no train 'v9.9.9'" in page.locator("main").inner_text()
        check_page(page, "problem")
    web = train_events(site, start)
    assert [e[:2] for e in web if not e[0].startswith("effect.")] == [
        ("approve", "alice"),
        ("approve", "carol"),
        ("authz.refused", "captain"),
        ("promote", "bob"),
        ("train.promoted", "bob"),
        ("rollback", "bob"),
        ("train.rolled_back", "bob"),
    ], [e[:2] for e in web]
    assert web == cli_path_events(cli, site)


def cli_path_events(cli, site: Site) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    """The same steps through the CLI on a second train of the same workspace (v1.2.0, after
    v1.1.0 was rolled back), with the train's id put back to compare event for event."""
    from tests.train.fakes import commit

    commit(site.repo_path, "feat: next (#14)")
    second = "v1.2.0"
    to_prod_approval(cli, second)
    start = tail(site)
    for who, verb, stage, reason in STEPS:
        if verb == "rollback":
            args = ["rollback", "--env", stage, "--train", second, "--reason", reason, "--to", OLD]
        else:
            args = [verb, second, "--env", stage, "--reason", reason]
        cli("--actor", who, *args)
    return [
        (a, who, target.replace(second, TRAIN), reason)
        for a, who, target, reason in [
            (e.action, e.actor, e.target, e.reason)
            for e in AuditLog(site.store).events(since_seq=start)
            if belongs_to(e.target, second) or e.action in ("approve", "promote", "rollback")
        ]
    ]


def test_a_cli_change_shows_in_an_open_page(
    browser_site: tuple[Site, str, GitHubEmulator],
    cli,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    _site, url, github = browser_site
    to_prod_approval(cli)
    with chromium() as browser:
        page = browser.new_page()
        sign_in_as(page, url, github, "bob")
        page.goto(f"{url}/trains/{TRAIN}")
        page.wait_for_timeout(300)  # the event stream is open
        assert (
            cli(
                "--actor",
                "alice",
                "approve",
                TRAIN,
                "--env",
                "prod",
                "--reason",
                "approved from a terminal",
            ).code
            == 0
        )
        began = time.monotonic()
        page.locator("table.timeline").get_by_text("approved from a terminal").wait_for(
            timeout=2000
        )
        assert time.monotonic() - began < 2.0
