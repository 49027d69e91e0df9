"""The policy: model, loading with file:line errors, the seed plan's defaults, JSON Schema.

Names are resolved lazily so that `trainmaster.config.cache` (the validate fast path) does not pay
for pydantic.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the fast path
if TYPE_CHECKING:
    from typing import Any

    from trainmaster.config.loader import DEFAULT_POLICY, load_policy, parse_policy
    from trainmaster.config.model import Policy

__all__ = ["DEFAULT_POLICY", "Policy", "load_policy", "parse_policy"]


def __getattr__(name: str) -> Any:
    if name == "Policy":
        from trainmaster.config.model import Policy

        return Policy
    if name in ("DEFAULT_POLICY", "load_policy", "parse_policy"):
        from trainmaster.config import loader

        return getattr(loader, name)
    raise AttributeError(name)
