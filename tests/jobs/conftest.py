"""Fixtures shared with other packages: the real Prometheus with the gate scenarios (as
tests/gates has it) and the Kubernetes emulator, for jobs that watch and roll back."""

from tests.emulators.kubernetes.fixtures import k8s  # noqa: F401
from tests.gates.conftest import golden_prometheus  # noqa: F401
