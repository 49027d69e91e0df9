"""The committed examples stay valid and identical to what trainmaster writes."""

from __future__ import annotations

from pathlib import Path

from trainmaster.config import load_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.demo.policy import demo_policy_text

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_seed_example_is_what_init_writes() -> None:
    path = EXAMPLES / "seed" / "trainmaster.yaml"
    assert path.read_text() == seed_policy_text("acme", "maestro")
    assert load_policy(path).repos == ["acme/maestro"]


def test_demo_example_is_the_demo_policy() -> None:
    path = EXAMPLES / "demo" / "trainmaster.yaml"
    assert path.read_text() == demo_policy_text("python3")
    policy = load_policy(path)
    assert policy.backends.cluster == "local" and policy.backends.metrics == "scrape"
    assert "{port}" in policy.backends.local.command
