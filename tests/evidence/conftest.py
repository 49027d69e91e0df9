"""The train service's test rig (real service, fakes at the ports), for evidence of real trains."""

from tests.train.conftest import policy, repo, rig  # noqa: F401 - fixtures
