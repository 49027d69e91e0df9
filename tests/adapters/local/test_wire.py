"""The supervisor's wire format: what the client sends is what the server rebuilds."""

from __future__ import annotations

import pytest

from trainmaster.adapters.local import wire
from trainmaster.errors import ExitCode, ExternalError, Refused, UsageError
from trainmaster.rollout.plan import Operation, Patch, Plan
from trainmaster.rollout.port import RolloutState, Target

PROD = Target("prod", "maestro", "maestro")
IMAGE = "ghcr.io/acme/maestro@sha256:" + "1" * 64


def test_plans_and_states_survive_the_round_trip():
    op = Operation("undo", to_revision=2)
    patches = (Patch("local", {"start": {"image": IMAGE}}, description="start the idle colour"),)
    plan = Plan("maestro", "maestro", op, patches, "undo", ("a warning",), resource_version="3")
    assert wire.plan_from(wire.plan_to(plan)) == plan
    state = RolloutState(PROD, "Paused", IMAGE, None, 2, True, "active blue")
    assert wire.state_from(wire.state_to(state)) == state
    colours = RolloutState(PROD, "Paused", IMAGE, IMAGE, 2, True, "", "0123456789", "abcdef0123")
    assert wire.state_from(wire.state_to(colours)) == colours
    restart = Operation("restart", at="2026-01-01T00:00:00Z")
    assert wire.operation_from(wire.operation_to(restart)) == restart
    assert wire.target_from(wire.target_to(PROD)) == PROD


def test_only_local_patches_and_known_verbs_are_accepted():
    with pytest.raises(UsageError, match="local patches only"):
        wire.patch_from({"type": "merge", "body": {"spec": {"paused": False}}})
    with pytest.raises(UsageError, match="unknown rollout operation"):
        wire.operation_from({"verb": "delete"})


def test_errors_keep_their_exit_code():
    assert isinstance(wire.error_from(wire.error_to(UsageError("no"))), UsageError)
    assert isinstance(wire.error_from({"error": "x", "exit_code": 5}), Refused)
    unknown = wire.error_from({"error": "x", "exit_code": 99})
    assert isinstance(unknown, ExternalError) and unknown.exit_code == ExitCode.EXTERNAL
