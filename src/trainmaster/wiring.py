"""The composition root: the one place that turns a policy and an environment into backends.

Every front door (the CLI, the demo, a server, a job runner) builds one `App` and hands it to
the use cases; nothing else picks a cluster, metrics, forge, store or authorizer. Each backend is
built on first use (`approve` never touches the cluster, `train status` never the forge) and
closed once by `close()` — or by leaving the `with App(...)` block — newest first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from trainmaster.config.model import Policy
from trainmaster.rollout.port import Cluster, RolloutState, Target
from trainmaster.train.engine import Clock, system_clock

if TYPE_CHECKING:
    from trainmaster.forge import Forge
    from trainmaster.gates.port import Metrics
    from trainmaster.git import Git
    from trainmaster.governance.port import GovernanceApi
    from trainmaster.policy.port import Authorizer
    from trainmaster.store import Store
    from trainmaster.train.verification import Verifier

STORE_URL_ENV = "TRAINMASTER_STORE_URL"
_UNSET: object = object()


class App:
    """The backends of one policy. Hand-made ports (tests, the demo) may be passed in; those
    belong to the caller and are not closed here."""

    def __init__(
        self,
        policy: Policy,
        base_dir: Path,
        *,
        repo_path: Path | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Clock = system_clock,
        shared_cluster: bool = True,
        store: Store | None = None,
        cluster: Cluster | None = None,
        metrics: Metrics | None = None,
        authorizer: Authorizer | None = None,
        verifier: Verifier | None = None,
    ) -> None:
        self._policy = policy
        self._base_dir = base_dir.resolve()
        self._repo_path = repo_path or self._base_dir
        self._environ = os.environ if environ is None else environ
        self._clock = clock
        self._shared_cluster = shared_cluster
        self._store = store
        self._cluster = cluster
        self._metrics: dict[str | None, Metrics] = {None: metrics} if metrics else {}
        self._authorizer = authorizer
        self._verifier = verifier
        self._forge: object = _UNSET
        self._git: Git | None = None
        self._governance: dict[tuple[str | None, str], GovernanceApi] = {}
        self._owned = ExitStack()

    @classmethod
    def from_policy_file(cls, path: Path, **kwargs: object) -> App:
        """Load and validate `path` (exit 2 naming file, line and field when it is wrong)."""
        from trainmaster.config import load_policy

        return cls(load_policy(path), path.resolve().parent, **kwargs)  # type: ignore[arg-type]

    # --- what is given ---------------------------------------------------------------------

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def repo_path(self) -> Path:
        return self._repo_path

    @property
    def clock(self) -> Clock:
        return self._clock

    # --- what is built on first use ----------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            from trainmaster.store import open_store

            url = self._environ.get(STORE_URL_ENV) or self._policy.store.url
            self._store = open_store(url, self._base_dir)
            self._owned.callback(self._store.dispose)
        return self._store

    def opened_store(self) -> Store | None:
        """The store if something already opened it (closing must not create one)."""
        return self._store

    @property
    def git(self) -> Git:
        if self._git is None:
            from trainmaster.adapters.git.repo import GitRepo

            self._git = GitRepo(self._repo_path)
        return self._git

    @property
    def authorizer(self) -> Authorizer:
        if self._authorizer is None:
            from trainmaster.policy import wiring

            self._authorizer = wiring.authorizer_for(self._policy, self._base_dir)
        return self._authorizer

    @property
    def cluster(self) -> Cluster:
        if self._cluster is None:
            self._cluster = LazyCluster(self._make_cluster)
            if not self._shared_cluster:
                # A shared cluster is the supervisor's or this process's (closed at exit); an
                # App that was asked to own one stops its releases when it closes.
                self._owned.callback(self._cluster.close)
        return self._cluster

    def built_cluster(self) -> Cluster:
        """The cluster backend itself, built now (for what only it offers, e.g. the local
        target's endpoints)."""
        lazy = self.cluster
        return lazy.built() if isinstance(lazy, LazyCluster) else lazy

    def _make_cluster(self) -> Cluster:
        from trainmaster.rollout import backends

        return backends.cluster_for(
            self._policy, base_dir=self._base_dir, shared=self._shared_cluster
        )

    def forge(self, *, require_auth: bool = True) -> Forge | None:
        if self._forge is _UNSET:
            from trainmaster.adapters import github

            made = github.forge_for(self._policy, require_auth=require_auth)
            if made is not None:
                self._owned.callback(made.close)
            self._forge = made
        return self._forge  # type: ignore[return-value]

    def governance(self, policy: Policy, api_url: str | None = None) -> GovernanceApi:
        # One client per GitHub and selection: a plan and its apply share the write queue.
        key = (api_url, repr(policy.github.org_repos))
        if key not in self._governance:
            from trainmaster.adapters import github
            from trainmaster.adapters.github.etags import StoreEtagCache
            from trainmaster.adapters.github.governance import GitHubGovernance

            client = github.client_for(policy, api_url=api_url, etags=StoreEtagCache(self.store))
            self._owned.callback(client.close)  # flushes the cached ETags to the store first
            self._governance[key] = GitHubGovernance(client)
        return self._governance[key]

    def metrics(self, prometheus_url: str | None = None) -> Metrics:
        if prometheus_url not in self._metrics:
            from trainmaster.gates import backends

            made = backends.metrics_for(
                self._policy, prometheus_url=prometheus_url, base_dir=self._base_dir
            )
            self._owned.callback(made.close)
            self._metrics[prometheus_url] = made
        return self._metrics[prometheus_url]

    def stage_metrics(self, target: Target, prometheus_url: str | None = None) -> Metrics:
        from trainmaster.gates import backends

        scrape = backends.local_scrape_urls(self._policy, self.built_cluster(), target)
        made = backends.metrics_for(self._policy, prometheus_url=prometheus_url, scrape_urls=scrape)
        self._owned.callback(made.close)
        return made

    def verifier(self, prometheus_url: str | None = None) -> Verifier:
        if self._verifier is not None and prometheus_url is None:
            return self._verifier
        from trainmaster.train.verification import GatesVerifier

        # gates-prom hook: the cluster tells which colour runs the digest being verified
        return GatesVerifier(self._policy, self.metrics(prometheus_url), cluster=self.cluster)

    # --- the end -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close every backend this App built, newest first; safe to call twice."""
        self._owned.close()

    def __enter__(self) -> App:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class LazyCluster:
    """A Cluster made by `factory` on the first call that needs it."""

    def __init__(self, factory: Callable[[], Cluster]) -> None:
        self._factory = factory
        self._cluster: Cluster | None = None

    def built(self) -> Cluster:
        if self._cluster is None:
            self._cluster = self._factory()
        return self._cluster

    def status(self, target: Target) -> RolloutState:
        return self.built().status(target)

    def deploy(self, target: Target, image: str) -> None:
        self.built().deploy(target, image)

    def promote(self, target: Target, *, full: bool = False) -> None:
        self.built().promote(target, full=full)

    def abort(self, target: Target) -> None:
        self.built().abort(target)

    def undo(self, target: Target, *, to_revision: int | None = None) -> None:
        self.built().undo(target, to_revision=to_revision)

    def pin(self, target: Target, image: str) -> None:
        self.built().pin(target, image)

    def close(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
