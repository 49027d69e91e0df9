"""What a use case is given: the policy and every port, behind one protocol.

Use cases (`train/use_cases.py`, …) take a `Backends` and never build an adapter themselves; the
composition root (`trainmaster.wiring.App`) implements it from the policy and the environment,
and a test or a library user may hand in their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from trainmaster.config.model import Policy
    from trainmaster.forge import Forge
    from trainmaster.gates.port import Metrics
    from trainmaster.git import Git
    from trainmaster.governance.port import GovernanceApi
    from trainmaster.policy.port import Authorizer
    from trainmaster.rollout.port import Cluster, Target
    from trainmaster.store import Store
    from trainmaster.train.engine import Clock
    from trainmaster.train.verification import Verifier


class Backends(Protocol):
    """The policy, where it lives, and the ports; each port is made on first use, so a command
    does not fail for want of a token or kubeconfig it does not need."""

    @property
    def policy(self) -> Policy: ...

    @property
    def base_dir(self) -> Path:
        """The policy file's directory: relative paths in the policy start here."""
        ...

    @property
    def repo_path(self) -> Path:
        """The git work tree trains are cut from."""
        ...

    @property
    def clock(self) -> Clock: ...

    @property
    def store(self) -> Store: ...

    @property
    def git(self) -> Git:
        """The repository at `repo_path`."""
        ...

    @property
    def authorizer(self) -> Authorizer: ...

    @property
    def cluster(self) -> Cluster:
        """The cluster, built on its first call."""
        ...

    def built_cluster(self) -> Cluster:
        """The cluster backend itself, built now (plans, previews, local endpoints)."""
        ...

    def forge(self, *, require_auth: bool = True) -> Forge | None:
        """The policy's forge, or None when `backends.forge` is "none"."""
        ...

    def governance(self, policy: Policy, api_url: str | None = None) -> GovernanceApi:
        """GitHub's side of governance for `policy` (the org selection may differ from the
        loaded policy's), with conditional reads cached in the store."""
        ...

    def metrics(self, prometheus_url: str | None = None) -> Metrics:
        """The policy's metrics backend; an explicit URL always means that Prometheus."""
        ...

    def stage_metrics(self, target: Target, prometheus_url: str | None = None) -> Metrics:
        """Metrics that see one rollout target (on the local target: both of its colours)."""
        ...

    def verifier(self, prometheus_url: str | None = None) -> Verifier:
        """What judges a stage's gates for the train."""
        ...
