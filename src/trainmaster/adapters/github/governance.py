"""The governance port over GitHub REST: id lookups, live state reads, single writes."""

from __future__ import annotations

import threading
from typing import Any

from trainmaster.adapters.github.client import GitHubClient
from trainmaster.adapters.github.errors import NotFound
from trainmaster.governance.desired import environment_path, protection_path
from trainmaster.governance.model import (
    Action,
    Actual,
    ActualEnvironment,
    ActualRuleset,
    Desired,
    Lookups,
    Resolved,
)


class GitHubGovernance:
    def __init__(self, client: GitHubClient) -> None:
        self.client = client
        self._ids: dict[str, int | None] = {}
        self._lock = threading.Lock()

    # --- names to ids -----------------------------------------------------------------------

    def resolve(self, org: str, lookups: Lookups) -> Resolved:
        teams = {s: i for s in lookups.teams if (i := self._id(f"/orgs/{org}/teams/{s}"))}
        users = {u: i for u in lookups.users if (i := self._id(f"/users/{u}"))}
        apps = {a: i for a in lookups.apps if (i := self._id(f"/apps/{a}"))}
        return Resolved(teams, users, apps)

    def _id(self, path: str) -> int | None:
        with self._lock:
            if path in self._ids:
                return self._ids[path]
        try:
            found: int | None = int(self.client.get(path)["id"])
        except NotFound:
            found = None
        with self._lock:
            self._ids[path] = found
        return found

    # --- reads ------------------------------------------------------------------------------

    def read(self, repo: str, desired: Desired) -> Actual:
        rulesets = self._rulesets(
            repo, {s.name for s in desired.rulesets} | desired.retired_rulesets
        )
        protection = None
        if desired.protection is not None:
            try:
                protection = self.client.get(protection_path(repo, desired.protection.branch))
            except NotFound:
                protection = None  # "Branch not protected"
        environments = self._environments(repo, {e.name for e in desired.environments})
        return Actual(repo, rulesets, environments, protection)

    def _rulesets(self, repo: str, names: set[str]) -> dict[str, ActualRuleset]:
        if not names:
            return {}
        summary = self.client.get_all(f"/repos/{repo}/rulesets", {"includes_parents": "false"})
        found: dict[str, ActualRuleset] = {}
        for item in summary:
            if item.get("name") in names and item.get("source_type", "Repository") == "Repository":
                path = f"/repos/{repo}/rulesets/{item['id']}"
                found[item["name"]] = ActualRuleset(int(item["id"]), self._detail(path, item))
        return found

    def _detail(self, path: str, summary: dict[str, Any]) -> Any:
        # The list carries each ruleset's updated_at: when the cached detail has the same
        # version, the detail cannot have changed and costs no request at all.
        cached = self.client.etags.get(self.client.api_url + path)
        if cached is not None and cached.body.get("updated_at") == summary.get("updated_at"):
            return cached.body
        return self.client.get(path)

    def _environments(self, repo: str, names: set[str]) -> dict[str, ActualEnvironment]:
        if not names:
            return {}
        items = self.client.get_all(f"/repos/{repo}/environments")
        found: dict[str, ActualEnvironment] = {}
        for env in items:
            if env.get("name") not in names:
                continue
            policies: dict[tuple[str, str], int] = {}
            branch_policy = env.get("deployment_branch_policy") or {}
            if branch_policy.get("custom_branch_policies"):
                path = environment_path(repo, env["name"]) + "/deployment-branch-policies"
                for p in self.client.get_all(path):
                    policies[(p["name"], p.get("type", "branch"))] = int(p["id"])
            found[env["name"]] = ActualEnvironment(env, policies)
        return found

    # --- writes -----------------------------------------------------------------------------

    def execute(self, action: Action) -> None:
        self.client.write(action.method, action.path, action.body)

    def org_repos(self, org: str) -> list[str]:
        items = self.client.get_all(f"/orgs/{org}/repos", {"type": "all"})
        return [str(r["full_name"]) for r in items if not r.get("archived")]
