"""The Argo Rollouts CRD's structural schema, applied as the API server applies it: unknown fields
pruned (with a warning, the default field validation), then the object validated."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

_REPO = Path(__file__).resolve().parents[3]
_CRD_PATH = Path("schemas") / "argo-rollouts" / "rollout-crd.yaml"
# shared/ sits beside the repository (a session's checkout and CI's fresh clone alike).
CRD = next(
    (
        p
        for p in (_REPO.parent / "shared" / _CRD_PATH, Path("/work/shared") / _CRD_PATH)
        if p.exists()
    ),
    _REPO.parent / "shared" / _CRD_PATH,
)


@functools.cache
def rollout_validator() -> Any:
    """Parsed once per session: the CRD is large."""
    from jsonschema import Draft7Validator

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    crd = yaml.load(CRD.read_text(), Loader=loader)
    return Draft7Validator(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def prune(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Drop, in place, the fields `schema` does not know; return a warning per field dropped.
    `metadata` is ObjectMeta, which the server handles itself: never pruned here."""
    warnings: list[str] = []
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            warnings += prune(item, schema["items"], f"{path}[{i}]")
    if not isinstance(value, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return warnings
    known = schema.get("properties")
    extra = schema.get("additionalProperties")
    for key in list(value):
        where = f"{path}.{key}" if path else key
        if known is not None and key in known:
            if where != "metadata":
                warnings += prune(value[key], known[key], where)
        elif isinstance(extra, dict):
            warnings += prune(value[key], extra, where)
        elif known is not None:
            warnings.append(f'unknown field "{where}"')
            del value[key]
    return warnings


def first_error(validator: Any, obj: Any) -> str | None:
    """The first schema violation as `path: message`, or None."""
    error = next(iter(sorted(validator.iter_errors(obj), key=str)), None)
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "<root>"
    return f"{where}: {error.message}"
