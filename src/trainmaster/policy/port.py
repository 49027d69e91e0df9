"""The authorization port: anything that turns a request into a decision."""

from __future__ import annotations

from typing import Protocol

from trainmaster.policy.model import AccessRequest, Decision


class Authorizer(Protocol):
    def decide(self, request: AccessRequest) -> Decision:
        """Every reason to refuse `request` (none: allowed). Never raises for a refusal."""
        ...
