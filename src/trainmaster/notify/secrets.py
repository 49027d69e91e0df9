"""A target's secret, read at the moment of use from the environment or a file, checked, and
registered with the redaction filter. A bad one is a policy error naming the policy's line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from trainmaster.config.notify import NotifyTarget
from trainmaster.errors import PolicyError
from trainmaster.redaction import register_secret

SECRET_MAX = 4096  # bytes: any real key, token or URL fits; a wrong file does not


def target_secret(target: NotifyTarget, index: int, policy_path: Path) -> str | None:
    if not (target.secret_env or target.secret_file):
        return None
    key = "secret_env" if target.secret_env else "secret_file"
    value = _read(target, policy_path, lambda why: _error(policy_path, index, key, why))
    register_secret(value)
    problem = secret_problem(target, value)
    if problem:
        raise _error(policy_path, index, key, problem)
    return value


def _read(target: NotifyTarget, policy_path: Path, fail: Callable[[str], PolicyError]) -> str:
    if target.secret_env:
        value = os.environ.get(target.secret_env, "")
        if not value:
            raise fail(f"environment variable {target.secret_env} is not set")
        return value.strip()
    path = Path(str(target.secret_file))
    path = path if path.is_absolute() else policy_path.resolve().parent / path
    try:
        with path.open("rb") as handle:
            raw = handle.read(SECRET_MAX + 1)
    except OSError as e:
        raise fail(f"cannot read {path}: {e.strerror}") from e
    if len(raw) > SECRET_MAX:
        raise fail(f"{path} is larger than {SECRET_MAX} bytes")
    return raw.decode("utf-8", errors="replace").strip()


def secret_problem(target: NotifyTarget, value: str) -> str | None:
    """What is wrong with the secret for this kind of target (never quoting it)."""
    from trainmaster.notify.signing import secret_problem as webhook_problem

    if any(c in value for c in "\r\n\0"):
        return "the secret holds a line break or NUL"
    if target.type == "webhook":
        return webhook_problem(value)
    if target.type == "slack":
        if target.channel:
            return None if value.startswith("xoxb-") else "a Slack bot token starts with xoxb-"
        return None if _web(value) else "a Slack incoming webhook is an https URL"
    if target.type == "teams" and not target.url:
        return None if _web(value) else "a Teams workflow URL starts with https://"
    return None


def _web(url: str) -> bool:
    # Plain http only to this machine (a local relay or a test receiver), as for policy URLs.
    return url.startswith(("https://", "http://127.0.0.1:", "http://[::1]:", "http://localhost:"))


def _error(policy_path: Path, index: int, key: str, why: str) -> PolicyError:
    line, column = _where(policy_path, ("notify", "targets", index, key))
    field = f"notify.targets.{index}.{key}"
    return PolicyError(f"{policy_path}:{line}:{column}: {field}: {why}")


def _where(policy_path: Path, path: tuple[str | int, ...]) -> tuple[int, int]:
    from trainmaster.config.yamlsource import YamlError, load_yaml

    try:
        _, source = load_yaml(policy_path.read_text(encoding="utf-8"), str(policy_path))
    except (OSError, YamlError):
        return 1, 1
    mark = source.locate(path)
    return mark.line, mark.column
