"""What YAML structure says about secrets: plain Secrets and their `data:`, SealedSecrets under
deploy/<env>/secrets/, credentials in kubeconfigs.

Pure over text. Each finding "claims" the lines it covers, and so do a SealedSecret's
`encryptedData` lines (ciphertext, not a leak): line-based scanners then skip claimed lines, so
one problem is reported once.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

import yaml

from trainmaster.evidence.secrets.findings import Finding, fingerprint
from trainmaster.evidence.secrets.patterns import looks_random

SEALED_API = "bitnami.com/v1alpha1"
# deploy/<env>/secrets/ at the root, or inside a service of a monorepo (services/api/deploy/…).
SECRETS_DIR = re.compile(r"^(?:.*/)?deploy/([^/]+)/secrets/")
DEPLOY_DIR = re.compile(r"^(?:.*/)?deploy/([^/]+)/")
KUBECONFIG_FIELDS = ("token", "client-key-data", "password", "id-token", "refresh-token")


@dataclass
class Structure:
    findings: list[Finding] = field(default_factory=list)
    claimed: set[int] = field(default_factory=set)
    # Fingerprints of the values inside a plain-secret finding: history must not report them again.
    covered: set[str] = field(default_factory=set)
    error: str | None = None  # why the YAML could not be read


def secrets_dir(path: str) -> str | None:
    """`deploy/prod/secrets/` for deploy/prod/secrets/db.yaml; None elsewhere."""
    match = SECRETS_DIR.match(path)
    return match.group(0) if match else None


def inspect_yaml(path: str, text: str, *, layout: bool = True) -> Structure:
    """`layout=False` (history) judges a plain Secret under deploy/<env>/secrets/ by its values,
    like one anywhere else: the layout is a property of the working tree, leaked values are not."""
    out = Structure()
    env = secrets_dir(path) if layout else None
    deployed = match.group(0) if layout and (match := DEPLOY_DIR.match(path)) else None
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        what = "a template (Helm/Go), not YAML" if "{{" in text else f"invalid YAML{where}"
        out.error = f"{what}; its Secret and layout checks were skipped"
        return out
    for node in documents:
        if isinstance(node, yaml.MappingNode):
            _document(path, node, env, deployed, out)
        elif node is not None and env:
            _not_sealed(path, node, "not a Kubernetes manifest", out)
    return out


def _document(
    path: str, node: yaml.MappingNode, env: str | None, deployed: str | None, out: Structure
) -> None:
    kind = _scalar(node, "kind")
    api = _scalar(node, "apiVersion")
    if kind == "SealedSecret":
        spec = _child(node, "spec")
        encrypted = _child(spec, "encryptedData") if spec is not None else None
        if encrypted is not None:
            out.claimed.update(_lines(encrypted))
        if env and api != SEALED_API:
            _not_sealed(path, node, f"a SealedSecret of apiVersion {api!r}, not {SEALED_API}", out)
    elif kind == "Secret":
        _plain_secret(path, node, env or deployed, out, always=env is not None)
    elif kind == "Config" and _child(node, "users") is not None:
        _kubeconfig(path, node, out)
    elif env:
        _not_sealed(path, node, f"a {kind or 'manifest without kind'}, not a SealedSecret", out)


def _plain_secret(
    path: str, node: yaml.MappingNode, where: str | None, out: Structure, *, always: bool
) -> None:
    """Under deploy/<env>/secrets/ a plain Secret is wrong as such; elsewhere under deploy/<env>/
    it is wrong when it carries values (one without, e.g. a service-account token request, leaks
    nothing); anywhere else each high-entropy value is a leak of its own."""
    name = _scalar(_child(node, "metadata"), "name") or "?"
    values = [
        (key, value, encoded)
        for section, encoded in (("data", True), ("stringData", False))
        for key, value in _pairs(_child(node, section))
        if value.value.strip()
    ]
    if where and (always or values):
        line = node.start_mark.line + 1
        count = f"; it holds {len(values)} value(s) in plaintext" if values else ""
        out.findings.append(
            Finding(
                "plain-secret",
                path,
                line,
                fingerprint(f"plain-secret:{path}:{name}"),
                f"Secret {name!r} in {where} is a plain Secret, not a SealedSecret"
                f"{count} (base64 is not encryption)",
                source="layout",
            )
        )
        out.claimed.update(_lines(node))
        for _, value, encoded in values:
            plain = _decoded(value.value) if encoded else value.value
            out.covered.add(fingerprint(plain or value.value))
        return
    for key, value, encoded in values:
        plain = _decoded(value.value) if encoded else value.value
        if plain is not None and looks_random(plain, min_length=12, min_bits=3.0):
            section = "data" if encoded else "stringData"
            out.findings.append(
                Finding(
                    "secret-data",
                    path,
                    value.start_mark.line + 1,
                    fingerprint(plain),
                    f"Secret {name!r} {section}.{key.value} holds a high-entropy value "
                    "in plaintext",
                )
            )
            out.claimed.update(_lines(value))


def _kubeconfig(path: str, node: yaml.MappingNode, out: Structure) -> None:
    users = _child(node, "users")
    for entry in users.value if isinstance(users, yaml.SequenceNode) else []:
        who = _scalar(entry, "name") or "?"
        user = _child(entry, "user")
        for key, value in _pairs(user):
            if key.value in KUBECONFIG_FIELDS and value.value.strip():
                out.findings.append(
                    Finding(
                        "kubeconfig-credential",
                        path,
                        value.start_mark.line + 1,
                        fingerprint(value.value),
                        f"kubeconfig user {who!r} carries a {key.value} in plaintext",
                    )
                )
                out.claimed.update(_lines(value))


def _not_sealed(path: str, node: yaml.Node, why: str, out: Structure) -> None:
    line = node.start_mark.line + 1
    out.findings.append(
        Finding(
            "not-sealed",
            path,
            line,
            fingerprint(f"not-sealed:{path}:{line}"),
            f"{why}: only SealedSecrets belong under deploy/<env>/secrets/",
            source="layout",
        )
    )
    out.claimed.update(_lines(node))


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def _scalar(node: yaml.Node | None, key: str) -> str | None:
    child = _child(node, key)
    return str(child.value) if isinstance(child, yaml.ScalarNode) else None


def _pairs(node: yaml.Node | None) -> list[tuple[yaml.ScalarNode, yaml.ScalarNode]]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [
        (k, v)
        for k, v in node.value
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
    ]


def _lines(node: yaml.Node) -> range:
    end = node.end_mark.line + (1 if node.end_mark.column else 0)
    return range(node.start_mark.line + 1, max(end, node.start_mark.line + 1) + 1)


def _decoded(value: str) -> str | None:
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return value  # not base64: the value itself is what leaks
    return raw.decode("utf-8", "replace")
