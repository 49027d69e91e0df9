"""A process owning a local cluster, as the demo does: prints its children's pids, then waits."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.adapters.local.test_local_cluster import PROD, V1, V2, local_policy_text
from trainmaster.config import parse_policy
from trainmaster.rollout.backends import cluster_for

base = Path(sys.argv[1])
cluster = cluster_for(parse_policy(local_policy_text()), base_dir=base)
cluster.register_artifact(V1, base, "1")  # type: ignore[attr-defined]
cluster.register_artifact(V2, base, "2")  # type: ignore[attr-defined]
cluster.deploy(PROD, V1)
cluster.deploy(PROD, V2)
slot = cluster._slots[("maestro", "maestro")]  # type: ignore[attr-defined]
print(slot.active.process.pid, slot.pending.process.pid, flush=True)
time.sleep(60)
