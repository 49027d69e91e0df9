"""Small validated value types shared by the policy model."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, GetCoreSchemaHandler, PlainSerializer, WithJsonSchema
from pydantic_core import core_schema

from trainmaster.config.durations import PATTERN, format_duration, parse_duration


def _to_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError("negative durations are not allowed")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"a duration needs a unit: write {value}s or {value}m")
    if not isinstance(value, str):
        raise ValueError("a duration is a string like 90s, 5m or 1h")
    return parse_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(_to_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PATTERN, "examples": ["90s", "5m", "1h"]}),
]

REPO_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class SecretRef(str):
    """A secret named only by an environment variable, `${SLACK_WEBHOOK_URL}`.

    The policy never holds a secret value; `resolve()` reads it at the moment of use and
    registers it with the redaction filter so it never reaches a log line.
    """

    @property
    def env_var(self) -> str:
        match = ENV_REF.match(self)
        assert match is not None  # guaranteed by validation
        return match.group(1)

    def resolve(self) -> str | None:
        value = os.environ.get(self.env_var)
        if value:
            from trainmaster.redaction import register_secret

            register_secret(value)
        return value

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: str) -> SecretRef:
            if not ENV_REF.match(value):
                raise ValueError(
                    "secrets are written as ${ENV_VAR} references, never as literal values"
                )
            return cls(value)

        return core_schema.no_info_after_validator_function(validate, core_schema.str_schema())

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return {"type": "string", "pattern": ENV_REF.pattern, "examples": ["${SLACK_WEBHOOK_URL}"]}
