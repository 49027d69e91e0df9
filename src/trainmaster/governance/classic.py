"""Classic branch protection for the default branch: servers without repository rulesets.

A purely computational module. The endpoint takes one existing branch name: a pattern is refused
with the reason, because `PUT /repos/{o}/{r}/branches/{branch}/protection` never expands it.
"""

from __future__ import annotations

from trainmaster.config.model import BranchRules
from trainmaster.errors import PolicyError
from trainmaster.governance.model import Json, ProtectionSpec

WILDCARDS = set("*?[]")


def classic_protection(branch: str, rules: BranchRules, checks: list[str]) -> ProtectionSpec:
    if WILDCARDS & set(branch):
        raise PolicyError(
            f"train.default_branch: {branch!r} is a pattern; classic branch protection "
            "(PUT /repos/{o}/{r}/branches/{branch}/protection) takes one existing branch name and "
            "does not expand wildcards; protect patterns with mode: rulesets"
        )
    req = rules.required_checks
    reviews = rules.reviews
    body: Json = {
        "required_status_checks": (
            {"strict": req.strict, "contexts": list(checks)} if req is not None and checks else None
        ),
        "enforce_admins": rules.enforce_admins,
        "required_pull_request_reviews": (
            {
                "dismiss_stale_reviews": reviews.dismiss_stale_reviews,
                "require_code_owner_reviews": reviews.require_code_owner_reviews,
                "required_approving_review_count": reviews.required_approving_review_count,
                "require_last_push_approval": reviews.require_last_push_approval,
            }
            if reviews is not None
            else None
        ),
        "restrictions": None,
        "required_linear_history": rules.required_linear_history,
        "allow_force_pushes": rules.allow_force_pushes,
        "allow_deletions": rules.allow_deletions,
        "required_conversation_resolution": rules.required_conversation_resolution,
    }
    pinned = None
    if req is not None and checks and req.app_id is not None:
        # The PUT body's `contexts` cannot name an app (and GitHub refuses contexts with checks),
        # so the app pin is a second call: PATCH .../required_status_checks {checks}.
        pinned = [{"context": c, "app_id": req.app_id} for c in checks]
    return ProtectionSpec(branch, body, pinned, rules.require_signed_commits)
