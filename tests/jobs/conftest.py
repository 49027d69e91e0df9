"""The real Prometheus with the gate scenarios (as tests/gates has it), for watches run as jobs."""

from tests.gates.conftest import golden_prometheus  # noqa: F401
