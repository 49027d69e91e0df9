"""The one error hierarchy. Every error carries its exit code and a one-line user message.

Exit codes are stable and documented in docs/exit-codes.md; CI scripts branch on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # a check or gate failed, or drift was found
    USAGE = 2  # usage or policy error
    INCONCLUSIVE = 3
    EXTERNAL = 4  # an external system (GitHub, Kubernetes, Prometheus, the store) failed
    REFUSED = 5  # refused by policy (authorization, freeze, quorum)
    INTERNAL = 70  # a bug in trainmaster (sysexits EX_SOFTWARE): one line, --debug shows where


class TrainmasterError(Exception):
    """Base of every error trainmaster shows to a user."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(TrainmasterError):
    exit_code = ExitCode.USAGE


class PolicyError(TrainmasterError):
    """The policy file is invalid: the message names file, line, column and field."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or [message]


class CheckFailed(TrainmasterError):
    """A check, a gate or a drift detection found a problem."""

    exit_code = ExitCode.FAILED


class Inconclusive(TrainmasterError):
    exit_code = ExitCode.INCONCLUSIVE


class ExternalError(TrainmasterError):
    """An external system failed. `temporary` says whether a retry may help."""

    exit_code = ExitCode.EXTERNAL

    def __init__(self, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


class StoreError(ExternalError):
    pass


class ConflictError(TrainmasterError):
    """Someone else changed the same record first (optimistic locking)."""

    exit_code = ExitCode.REFUSED


@dataclass(frozen=True)
class RefusalReason:
    """One reason to refuse: the rule that refused (`authz`, `promotion.quorum`, …) and its
    message in the release captain's words."""

    rule: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"rule": self.rule, "message": self.message}


class Refused(TrainmasterError):
    """The action is not allowed by policy: authorization, freeze, quorum, wait timer.

    `reasons` lists every rule that refused, for callers that branch on them (a web front door,
    a bot); without them the message is the one reason, under the rule `policy`."""

    exit_code = ExitCode.REFUSED

    def __init__(self, message: str, *, reasons: tuple[RefusalReason, ...] = ()) -> None:
        super().__init__(message)
        self.reasons = reasons or (RefusalReason("policy", message),)
