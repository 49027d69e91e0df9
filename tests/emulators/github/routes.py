"""The route table: (method, path regex, handler). Paths are relative to /api/v3."""

from __future__ import annotations

from tests.emulators.github import routes_checks as checks
from tests.emulators.github import routes_environments as env
from tests.emulators.github import routes_forge as forge
from tests.emulators.github import routes_governance as gov
from tests.emulators.github import routes_protection as protection

R = gov.R
E = rf"{R}/environments/(?P<env>[^/]+)"
B = rf"{R}/branches/(?P<branch>.+?)/protection"

ROUTES = [
    ("GET", r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)", gov.get_team),
    ("GET", r"/orgs/(?P<org>[^/]+)/repos", gov.org_repos),
    ("GET", r"/users/(?P<login>[^/]+)", gov.get_user),
    ("GET", r"/user", gov.authenticated_user),
    ("GET", r"/apps/(?P<slug>[^/]+)", gov.get_app),
    ("GET", rf"{R}/rulesets", gov.list_rulesets),
    ("POST", rf"{R}/rulesets", gov.create_ruleset),
    ("GET", rf"{R}/rulesets/(?P<id>\d+)", gov.get_ruleset),
    ("PUT", rf"{R}/rulesets/(?P<id>\d+)", gov.update_ruleset),
    ("DELETE", rf"{R}/rulesets/(?P<id>\d+)", gov.delete_ruleset),
    ("GET", rf"{R}/environments", env.list_environments),
    ("GET", E, env.get_environment),
    ("PUT", E, env.put_environment),
    ("DELETE", E, env.delete_environment),
    ("GET", rf"{E}/deployment-branch-policies", env.list_branch_policies),
    ("POST", rf"{E}/deployment-branch-policies", env.create_branch_policy),
    ("DELETE", rf"{E}/deployment-branch-policies/(?P<id>\d+)", env.delete_branch_policy),
    ("GET", B, env.get_protection),
    ("PUT", B, env.put_protection),
    ("PATCH", rf"{B}/required_status_checks", env.patch_status_checks),
    ("POST", rf"{B}/required_signatures", env.post_signatures),
    ("GET", rf"{R}/releases", forge.list_releases),
    ("POST", rf"{R}/releases", forge.create_release),
    ("GET", rf"{R}/releases/tags/(?P<tag>.+)", forge.release_by_tag),
    ("GET", rf"{R}/releases/(?P<id>\d+)", forge.get_release),
    ("GET", rf"{R}/releases/(?P<id>\d+)/assets", forge.list_assets),
    ("POST", rf"{R}/releases/(?P<id>\d+)/assets", forge.upload_asset),
    ("DELETE", rf"{R}/releases/assets/(?P<id>\d+)", forge.delete_asset),
    ("GET", rf"{R}/pulls", forge.list_pulls),
    ("POST", rf"{R}/pulls", forge.create_pull),
    ("GET", rf"{R}/pulls/(?P<number>\d+)", forge.get_pull),
    ("GET", rf"{R}/installation", forge.installation),
    ("GET", r"/orgs/(?P<org>[^/]+)/installation", forge.installation),
    ("POST", r"/app/installations/(?P<id>\d+)/access_tokens", forge.access_token),
    ("GET", rf"{R}/commits/(?P<ref>[^/]+)/check-runs", checks.list_for_ref),
    ("POST", rf"{R}/actions/runs/(?P<run_id>\d+)/deployment_protection_rule", protection.review),
    ("GET", rf"{R}/actions/runs/(?P<run_id>\d+)/approvals", checks.run_approvals),
    ("GET", R, gov.get_repo),
]
