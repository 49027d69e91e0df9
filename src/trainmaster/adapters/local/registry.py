"""The process's local clusters: one per policy directory, closed at exit and on SIGTERM, so the
process that owns the proxies and the children never leaves an orphan behind."""

from __future__ import annotations

import atexit
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from trainmaster.adapters.local.cluster import LocalCluster

if TYPE_CHECKING:
    from trainmaster.config import Policy

_clusters: dict[Path, LocalCluster] = {}


def local_cluster(policy: Policy, base_dir: Path) -> LocalCluster:
    """The process's local cluster for `base_dir`, created on first use and closed at exit."""
    key = base_dir.resolve()
    cluster = _clusters.get(key)
    if cluster is None or cluster.closed:
        cluster = _clusters[key] = LocalCluster(policy, key)
        atexit.register(cluster.close)
        _close_on_signals()
    return cluster


def owned(base_dir: Path) -> LocalCluster | None:
    """The open local cluster this process already owns for `base_dir`, if any."""
    cluster = _clusters.get(base_dir.resolve())
    return cluster if cluster is not None and not cluster.closed else None


def close_all() -> None:
    for cluster in list(_clusters.values()):
        cluster.close()


def _close_on_signals() -> None:
    """SIGTERM exits through atexit (Python's default would skip it); Ctrl-C already raises
    KeyboardInterrupt, which ends in atexit too."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):

        def _exit(signum: int, frame: object) -> None:
            close_all()
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, _exit)
