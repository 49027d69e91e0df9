"""Plan, apply and drift across repositories: fetch through the port, decide in pure code.

Every id is resolved and every repo read before the first write; a repo whose names or reads fail
gets no writes at all, and the others go on. Reads run concurrently (bounded); writes run one at a
time in plan order, each audited as soon as it lands, so a partial apply says exactly what landed
and the next run's diff resumes from there.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from trainmaster.config.model import Policy
from trainmaster.errors import ExternalError, PolicyError, TrainmasterError, UsageError
from trainmaster.governance.desired import desired, lookups, missing
from trainmaster.governance.diff import plan_repo
from trainmaster.governance.model import Action, Outcome, RepoPlan, Resolved
from trainmaster.governance.port import GovernanceApi

Record = Callable[[str, Action], None]


def select_repos(
    policy: Policy, explicit: list[str], org_repos: Callable[[str], list[str]]
) -> list[str]:
    """Repos named with --repo, else the policy's list plus its org selection."""
    if explicit:
        return sorted(set(explicit))
    chosen = set(policy.repos)
    selection = policy.github.org_repos
    if selection is not None:
        chosen |= set(match_names(org_repos(selection.org), selection.include, selection.exclude))
    if not chosen:
        raise UsageError("no repositories: list them in `repos`, set github.org_repos, or --repo")
    return sorted(chosen)


def match_names(names: Iterable[str], include: list[str], exclude: list[str]) -> list[str]:
    def short(full: str) -> str:
        return full.split("/", 1)[-1]

    return [
        n
        for n in names
        if any(fnmatch.fnmatchcase(short(n), p) for p in include)
        and not any(fnmatch.fnmatchcase(short(n), p) for p in exclude)
    ]


def plan(
    policy: Policy, api: GovernanceApi, repos: list[str], *, concurrency: int = 8
) -> list[RepoPlan]:
    needed = lookups(policy)
    orgs = sorted({r.split("/", 1)[0] for r in repos})
    resolved: dict[str, Resolved | TrainmasterError] = {}
    for org in orgs:
        try:
            resolved[org] = api.resolve(org, needed)
        except TrainmasterError as e:
            resolved[org] = e

    def one(repo: str) -> RepoPlan:
        ids = resolved[repo.split("/", 1)[0]]
        try:
            if isinstance(ids, TrainmasterError):
                raise ids
            problems = missing(policy, ids)
            if problems:
                org = repo.split("/", 1)[0]
                raise PolicyError("; ".join(f"{p} in {org}" for p in problems))
            want = desired(policy, repo, ids)
            return RepoPlan(repo, plan_repo(want, api.read(repo, want)))
        except PolicyError as e:
            return RepoPlan(repo, [], f"{repo}: {e.message}", "policy")
        except ExternalError as e:
            return RepoPlan(repo, [], f"{repo}: {e.message}", "external")

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, repos))


def apply(plans: list[RepoPlan], api: GovernanceApi, record: Record) -> list[Outcome]:
    outcomes = []
    for repo_plan in plans:
        if repo_plan.error:
            outcomes.append(Outcome(repo_plan.repo, [], None, repo_plan.error, repo_plan.actions))
            continue
        outcomes.append(_apply_repo(repo_plan, api, record))
    return outcomes


def _apply_repo(repo_plan: RepoPlan, api: GovernanceApi, record: Record) -> Outcome:
    landed: list[Action] = []
    for i, action in enumerate(repo_plan.actions):
        try:
            api.execute(action)
        except ExternalError as e:
            rest = repo_plan.actions[i + 1 :]
            return Outcome(repo_plan.repo, landed, action, f"{repo_plan.repo}: {e.message}", rest)
        record(repo_plan.repo, action)
        landed.append(action)
    return Outcome(repo_plan.repo, landed)


def exit_error(
    plans: list[RepoPlan], outcomes: list[Outcome] | None = None
) -> TrainmasterError | None:
    """The error that sets the exit code: external (4) before policy (2); None when all ran."""
    failed_writes = [o for o in outcomes or [] if o.failed is not None]
    externals = [p for p in plans if p.error_kind == "external"]
    policies = [p for p in plans if p.error_kind == "policy"]
    if failed_writes or externals:
        count = len(failed_writes) + len(externals)
        noun = "repository" if count == 1 else "repositories"
        return ExternalError(f"{count} {noun} failed (see above)")
    if policies:
        count = len(policies)
        noun = "repository" if count == 1 else "repositories"
        return PolicyError(f"{count} {noun} cannot be planned (see above)")
    return None
