"""GitHub's official OpenAPI description (@octokit/openapi): loading, validating, skeletons.

The 13 MB file is parsed once per process. Requests and responses are checked with openapi-core;
`skeleton()` builds the smallest schema-valid object for a response, which the emulator then
overlays with its own state, so every field GitHub marks required is present.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

ROOT = Path(__file__).resolve().parents[3]
SPEC_PATH = ROOT / ".cache/octokit-openapi/package/generated/api.github.com.json"
API_HOST = "https://api.github.com"
UPLOADS_HOST = "https://uploads.github.com"


@functools.cache
def spec_dict() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        raise RuntimeError(f"{SPEC_PATH} is missing: `make servers` fetches @octokit/openapi")
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def openapi() -> Any:
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(spec_dict(), config=Config(spec_validator_cls=None))


class _Request:
    """openapi-core's Request protocol over an httpx request with the GitHub host and path."""

    def __init__(self, request: httpx.Request, host_url: str, path: str) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = host_url
        self.path = path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "application/json").lower()
        if host_url == UPLOADS_HOST:
            # The description lists only octet-stream, but GitHub stores any media type given
            # ("Content-Type: the media type of the asset"); the body is raw bytes either way.
            self.content_type = "application/octet-stream"
        query = parse_qs(request.url.query.decode(), keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query), header=Headers(dict(request.headers))
        )


class _Response:
    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        from werkzeug.datastructures import Headers

        self.status_code = status
        self.data: bytes | None = body or None
        self.headers = Headers(headers)
        self.content_type = headers.get("content-type", "application/json").lower()


def validate_request(request: httpx.Request, host_url: str, path: str) -> str | None:
    """None when GitHub's schema accepts the request, else the first reason it would not."""
    try:
        openapi().validate_request(_Request(request, host_url, path))
    except Exception as e:  # openapi-core raises a family of errors; all mean "invalid"
        return _reason(e)
    return None


def validate_response(
    request: httpx.Request,
    host_url: str,
    path: str,
    status: int,
    body: bytes,
    headers: dict[str, str],
) -> str | None:
    try:
        openapi().validate_response(
            _Request(request, host_url, path), _Response(status, body, headers)
        )
    except Exception as e:
        return _reason(e)
    return None


def _reason(error: Exception) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__
    while cause is not None:
        parts.append(str(cause)[:400])
        details = getattr(cause, "schema_errors", None)
        if details:
            parts.extend(str(d.message)[:300] for d in list(details)[:5])
        cause = cause.__cause__
    return " | ".join(parts)


# --- skeletons ------------------------------------------------------------------------------


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    op = spec_dict()["paths"][path][method]
    content = op["responses"][str(status)]
    content = _deref(content)
    schema: dict[str, Any] = content["content"]["application/json"]["schema"]
    return schema


def skeleton(schema: dict[str, Any], depth: int = 0) -> Any:
    """The smallest value the schema accepts: required properties only, examples when given."""
    schema = _deref(schema)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = skeleton(part, depth)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return skeleton(schema[key][0], depth)
    kind = schema.get("type", "object")
    if schema.get("nullable") and depth > 8:
        return None
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties", {})
        return {
            name: skeleton(props.get(name, {}), depth + 1) for name in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        return int(schema.get("example", 1)) if isinstance(schema.get("example"), int) else 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    return _string(schema)


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2024-01-01T00:00:00Z"
    if fmt in ("uri", "url"):
        return "https://github.example/x"
    if fmt == "email":
        return "someone@example.com"
    example = schema.get("example")
    return example if isinstance(example, str) else "x"


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec_dict()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node
