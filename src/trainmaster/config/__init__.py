"""The policy: model, loading with file:line errors, the seed plan's defaults, JSON Schema."""

from trainmaster.config.loader import DEFAULT_POLICY, load_policy, parse_policy
from trainmaster.config.model import Policy

__all__ = ["DEFAULT_POLICY", "Policy", "load_policy", "parse_policy"]
