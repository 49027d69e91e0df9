"""Where the local target's supervisor is: `.trainmaster/local/supervisor.json` next to the policy.

The supervisor (`trainmaster local serve`) owns the proxies and the release processes, so that
separate CLI invocations share one running local target. It writes its address, a random bearer
token and its pid here, readable by the owner only (0600). A record whose pid is gone is stale:
it is ignored, and replaced by the next supervisor.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainmaster.config import Policy


# Set in the environment of every release a supervisor starts (value: its base_dir), so that the
# releases of a supervisor that died without stopping them (SIGKILL, a crash) can be found.
RELEASE_MARK = "TRAINMASTER_LOCAL_TARGET"


@dataclass(frozen=True)
class SupervisorInfo:
    url: str  # http://127.0.0.1:<port>, the control API
    token: str  # bearer token every request must carry
    pid: int
    base_dir: str
    policy: str  # the policy file it serves
    policy_digest: str = ""  # of the policy as it was parsed at start: see `policy_digest`


def policy_digest(policy: Policy) -> str:
    """Names the parsed policy. The supervisor decides from the policy it started with (auto-
    promotion, scale-down delay, the release command), so a CLI holding another one must not
    drive it as if they agreed."""
    return hashlib.sha256(policy.model_dump_json().encode()).hexdigest()


def info_path(base_dir: Path) -> Path:
    return base_dir / ".trainmaster" / "local" / "supervisor.json"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write_info(base_dir: Path, info: SupervisorInfo) -> Path:
    """Write the record atomically, 0600 from the first byte (the token is a credential)."""
    path = info_path(base_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".supervisor.{os.getpid()}.json")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(info), out)
    os.replace(scratch, path)
    return path


def read_info(base_dir: Path) -> SupervisorInfo | None:
    """The record as written, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(info_path(base_dir).read_text())
        return SupervisorInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


def remove_info(base_dir: Path, pid: int) -> None:
    """Remove the record if it is still `pid`'s: a newer supervisor's record is left alone."""
    found = read_info(base_dir)
    if found is not None and found.pid == pid:
        with contextlib.suppress(FileNotFoundError):
            info_path(base_dir).unlink()


def pid_alive(pid: int) -> bool:
    """True while `pid` runs. A zombie (exited, not yet reaped by its parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def live_info(base_dir: Path) -> SupervisorInfo | None:
    """The record if its supervisor process still runs (it may not answer yet)."""
    found = read_info(base_dir)
    return found if found is not None and pid_alive(found.pid) else None


def running(base_dir: Path, timeout: float = 2.0) -> SupervisorInfo | None:
    """The supervisor for `base_dir` if its process runs and answers with the token."""
    found = live_info(base_dir)
    if found is None:
        return None
    from trainmaster.adapters.local.client import answers

    return found if answers(found, timeout) else None
