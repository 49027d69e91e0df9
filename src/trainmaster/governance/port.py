"""What governance needs from GitHub; the GitHub adapter implements it."""

from __future__ import annotations

from typing import Protocol

from trainmaster.governance.model import Action, Actual, Desired, Lookups, Resolved


class GovernanceApi(Protocol):
    def resolve(self, org: str, lookups: Lookups) -> Resolved:
        """Ids for the names; a name GitHub does not know is left out (not an error here)."""
        ...

    def read(self, repo: str, desired: Desired) -> Actual:
        """The live state of the resources `desired` manages (conditional GETs)."""
        ...

    def execute(self, action: Action) -> None:
        """One write; raises ExternalError when GitHub refuses or does not answer."""
        ...

    def org_repos(self, org: str) -> list[str]:
        """Full names of the organization's repositories that are not archived."""
        ...
