"""The Rego backend (regopy): the built-in bundle plus the policy's own modules.

regopy is imported on first use: CLI start-up matters, and most commands never decide access.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from trainmaster.errors import PolicyError
from trainmaster.policy.model import AccessRequest, Decision

BUNDLE = "authz.rego"
BUNDLE_TESTS = "authz_test.rego"
DENY_QUERY = "data.trainmaster.authz.deny"


@dataclass(frozen=True)
class Module:
    """One Rego source: its name (a path, shown in errors) and its text."""

    name: str
    text: str

    @property
    def is_test(self) -> bool:
        return self.name.endswith("_test.rego")


def builtin_modules(tests: bool = False) -> list[Module]:
    files = [BUNDLE, BUNDLE_TESTS] if tests else [BUNDLE]
    root = resources.files("trainmaster.policy")
    return [Module(f"<built-in>/{f}", root.joinpath(f).read_text(encoding="utf-8")) for f in files]


def policy_modules(paths: list[str], base_dir: Path) -> list[Module]:
    """The policy's modules: each path a .rego file or a folder of them (sorted, not recursive)."""
    found: list[Module] = []
    for raw in paths:
        path = Path(raw) if Path(raw).is_absolute() else base_dir / raw
        files = sorted(path.glob("*.rego")) if path.is_dir() else [path]
        for file in files:
            try:
                found.append(Module(str(file), file.read_text(encoding="utf-8")))
            except OSError as e:
                raise PolicyError(f"{file}: authorization module unreadable ({e.strerror})") from e
    return found


class RegoAuthorizer:
    """Implements the `Authorizer` port: `data.trainmaster.authz.deny` for each request."""

    def __init__(self, modules: list[Module], data: Mapping[str, Any]) -> None:
        self.modules = modules
        self._interpreter = interpreter(modules, data)

    def decide(self, request: AccessRequest) -> Decision:
        rego = self._interpreter
        rego.set_input(request.as_input())
        reasons = query(rego, DENY_QUERY, self.modules)
        if not isinstance(reasons, list):
            raise PolicyError(f"{DENY_QUERY} is not a set of messages: {json.dumps(reasons)}")
        return Decision(request, tuple(sorted(str(r) for r in reasons)))


def interpreter(modules: list[Module], data: Mapping[str, Any]) -> Any:
    from regopy import Interpreter, RegoError

    rego = Interpreter()
    rego.add_data_json(json.dumps({"policy": dict(data)}))
    for module in modules:
        refuse_known_crashes(module)
        try:
            with _quiet_stdout():  # rego-cpp prints its errors on stdout, where --json goes
                rego.add_module(module.name, module.text)
        except RegoError as e:
            raise PolicyError(parse_error(module, str(e))) from e
    return rego


def query(rego: Any, text: str, modules: list[Module]) -> Any:
    """The value of `text`, or None when undefined. An evaluation error names its module."""
    from regopy import RegoError

    try:
        with _quiet_stdout():
            output = rego.query(text)
    except RegoError as e:
        raise PolicyError(_error_line(modules, str(e), "Rego evaluation error")) from e
    except ValueError as e:  # regopy could not read its own result back
        raise PolicyError(
            f"authorization: the result of {text} is unreadable ({e}); regopy 1.5 does not "
            'escape a `"` inside a result string: keep input strings out of deny messages'
        ) from e
    text_out = str(output)  # JSON; regopy's Node objects crash when printed, so never keep them
    if text_out == "undefined":
        return None
    values = json.loads(text_out).get("expressions") or [None]
    return values[0]


_WHOLE_INPUT = re.compile(r"\bwith\s+input\s+as\b")


def refuse_known_crashes(module: Module) -> None:
    """regopy 1.5 segfaults on `with input as …` (the whole input replaced): say so and where,
    instead of letting the process die without a word."""
    for number, line in enumerate(module.text.splitlines(), start=1):
        found = _WHOLE_INPUT.search(line.split("#", 1)[0])
        if found:
            raise PolicyError(
                f"{module.name}:{number}:{found.start() + 1}: `with input as …` crashes regopy "
                '1.5; replace single fields instead (`with input.actor as "eve"`)'
            )


_ERROR = re.compile(
    r"\(error \d+:(?P<name>.*?)\|(?P<offset>\d+)\|\d+\s*\(errormsg \d+:(?P<msg>[^\n)]*)"
)


def parse_error(module: Module, raw: str) -> str:
    """rego-cpp's error tree → `file:line:col: Rego parse error: why` (the first error)."""
    return _error_line([module], raw, "Rego parse error")


def _error_line(modules: list[Module], raw: str, what: str) -> str:
    found = _ERROR.search(raw)
    if found is None:
        first = raw.strip().splitlines()[0] if raw.strip() else "unknown error"
        return f"{modules[0].name if len(modules) == 1 else 'authorization'}: {what}: {first}"
    name, offset = found["name"], int(found["offset"])
    text = next((m.text for m in modules if m.name == name), "")
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{name}:{line}:{col}: {what}: {found['msg'].strip()}"


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 (embedded): nothing to protect
        yield
        return
    with open(os.devnull, "w", encoding="utf-8") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
