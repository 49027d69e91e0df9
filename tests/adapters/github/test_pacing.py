"""Per-endpoint pacing (GitHub's 900 points a minute) and the GitHub.com defaults."""

from __future__ import annotations

import pytest

from trainmaster.adapters.github import client_for
from trainmaster.adapters.github.pacing import Pacer, endpoint
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text


def test_requests_for_different_repos_share_one_endpoint() -> None:
    assert endpoint("GET", "/repos/acme/api/rulesets") == endpoint("GET", "/repos/x/y/rulesets")
    assert endpoint("PUT", "/repos/a/b/rulesets/12") == "PUT /repos/{}/{}/rulesets/{}"
    assert (
        endpoint("GET", "/repos/a/b/environments/prod/deployment-branch-policies")
        == "GET /repos/{}/{}/environments/{}/deployment-branch-policies"
    )
    assert endpoint("GET", "/orgs/acme/teams/sre") == "GET /orgs/{}/teams/{}"


def test_a_full_minute_budget_waits_for_the_oldest_point_to_expire() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(10, clock=lambda: now[0], sleep=sleep)
    for i in range(10):
        now[0] = i * 0.5
        pacer.wait("GET", f"/repos/acme/r{i}/rulesets")
    assert slept == []
    pacer.wait("GET", "/repos/acme/other/environments")  # another endpoint: its own budget
    assert slept == []
    pacer.wait("GET", "/repos/acme/r10/rulesets")  # waits for the first point to expire
    assert now[0] == pytest.approx(60.0)
    for _ in range(3):  # a write scores 5 points: the third must wait a minute
        pacer.wait("POST", "/repos/acme/r1/rulesets")
    assert now[0] == pytest.approx(120.0)


def test_github_com_is_paced_and_writes_spaced_other_servers_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_exampleToken000000")
    policy = parse_policy(seed_policy_text())
    dotcom = client_for(policy)
    assert dotcom.settings.points_per_minute == 900 and dotcom.settings.write_interval == 1.0
    ghes = client_for(policy, api_url="https://ghe.example.com/api/v3")
    assert ghes.settings.points_per_minute is None and ghes.settings.write_interval == 0.0
    monkeypatch.setenv("TRAINMASTER_GITHUB_POINTS_PER_MINUTE", "300")
    assert client_for(policy).settings.points_per_minute == 300
