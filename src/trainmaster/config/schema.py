"""The policy's JSON Schema (committed as schema/trainmaster.schema.json)."""

from __future__ import annotations

from typing import Any

from trainmaster.config.model import Policy

SCHEMA_ID = "https://trainmaster.dev/schema/trainmaster.schema.json"


def policy_schema() -> dict[str, Any]:
    schema = Policy.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
