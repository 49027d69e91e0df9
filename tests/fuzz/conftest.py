"""The fuzzing suite's settings: a short run in `make test`, 10,000 cases per target in
`make fuzz` (HYPOTHESIS_PROFILE=fuzz), and a memory cap on every case.

The cap: in the short run, tracemalloc measures each case's peak of Python allocations; in the
long campaign (where tracemalloc's sevenfold slowdown would cost an hour) the process's address
space is limited to what it uses at the start plus the cap, so a case that allocates more fails
with MemoryError, which the test reports as an unhandled exception."""

from __future__ import annotations

import os
import resource
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# No example database: nothing is written into the work tree, and each run starts fresh.
_COMMON: dict[str, Any] = {
    "database": None,
    "deadline": None,  # the machine is shared; bounds are asserted on memory, not wall time
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("default", max_examples=25, **_COMMON)
settings.register_profile("fuzz", max_examples=10_000, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)

MEMORY_CAP = 64 * 1024 * 1024  # bytes of Python allocations one case may peak at
ADDRESS_SPACE_CAP = 512 * 1024 * 1024  # the long campaign: growth of the whole process


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize in /proc/self/status")


@pytest.fixture(scope="session", autouse=True)
def _address_space_cap() -> Iterator[None]:
    if PROFILE != "fuzz":
        yield
        return
    before = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + ADDRESS_SPACE_CAP, before[1]))
    yield
    resource.setrlimit(resource.RLIMIT_AS, before)


@pytest.fixture(scope="module")
def bounded() -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Run one case and fail it when its Python allocations peak over MEMORY_CAP (what a
    YAML alias bomb or a 60-million-combination matrix would do)."""
    if PROFILE == "fuzz":  # the address-space limit above bounds each case
        yield lambda case: case()
        return
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()

    def run(case: Callable[[], Any]) -> Any:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        try:
            return case()
        finally:
            peak = tracemalloc.get_traced_memory()[1] - before
            assert peak < MEMORY_CAP, f"one case peaked at {peak / 2**20:.0f} MiB"

    yield run
    if started:
        tracemalloc.stop()
