"""Rego unit tests (`test_*` rules), run in a child process: a crash in regopy's native code
(it has a few) must end the test run, not the CLI, and must be reported as such."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainmaster.errors import PolicyError
from trainmaster.policy.rego import Module, interpreter, query

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_TEST = re.compile(r"^(test_\w+)\b", re.MULTILINE)


@dataclass(frozen=True)
class TestResult:
    module: str
    name: str  # data path, e.g. data.trainmaster.authz_test.test_x
    passed: bool

    def as_json(self) -> dict[str, Any]:
        return {"module": self.module, "test": self.name, "passed": self.passed}


def find_tests(modules: list[Module]) -> list[tuple[str, str]]:
    """(module name, data path) of every `test_*` rule, in order, once per name."""
    found: list[tuple[str, str]] = []
    for module in modules:
        package = _PACKAGE.search(module.text)
        if package is None:
            continue
        for name in dict.fromkeys(_TEST.findall(module.text)):
            found.append((module.name, f"data.{package[1]}.{name}"))
    return found


def run_tests(modules: list[Module], data: Mapping[str, Any]) -> list[TestResult]:
    rego = interpreter(modules, data)
    rego.set_input({})
    return [
        TestResult(module, path, query(rego, path, modules) is True)
        for module, path in find_tests(modules)
    ]


def run_isolated(modules: list[Module], data: Mapping[str, Any]) -> list[TestResult]:
    request = {"modules": [[m.name, m.text] for m in modules], "data": dict(data)}
    child = subprocess.run(
        [sys.executable, "-m", "trainmaster.policy.testing"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode == 2 and child.stdout.startswith("error: "):
        raise PolicyError(child.stdout[len("error: ") :].strip())
    if child.returncode != 0:
        raise PolicyError(
            f"the Rego tests stopped regopy (exit {child.returncode}); regopy 1.5 is known to "
            'crash on `with input as {…}`: replace single fields (`with input.actor as "x"`)'
        )
    return [TestResult(**row) for row in json.loads(child.stdout)]


def _child() -> int:
    request = json.loads(sys.stdin.read())
    modules = [Module(name, text) for name, text in request["modules"]]
    try:
        results = run_tests(modules, request["data"])
    except PolicyError as e:
        sys.stdout.write(f"error: {e.message}\n")
        return 2
    rows = [{"module": r.module, "name": r.name, "passed": r.passed} for r in results]
    sys.stdout.write(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
