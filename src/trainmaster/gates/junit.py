"""Smoke results as JUnit XML (pytest, Jest, Go, Maven Surefire all write it).

The root is `<testsuites>` or a single `<testsuite>`; each `<testcase>` fails with a `<failure>`
or `<error>` child and is skipped with `<skipped>`. Counting the test cases themselves, not the
suites' attributes, keeps a hand-edited or truncated summary from passing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from trainmaster.errors import UsageError
from trainmaster.gates.inputs import InputResult


def parse_junit(text: str, source: str = "JUnit report") -> InputResult:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise UsageError(f"{source}: malformed XML ({e})") from e
    if root.tag not in ("testsuites", "testsuite"):
        raise UsageError(f"{source}: not JUnit XML (root element <{root.tag}>)")
    cases = list(root.iter("testcase"))
    failed: list[str] = []
    skipped = 0
    for case in cases:
        name = f"{case.get('classname', '')}.{case.get('name', '?')}".lstrip(".")
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None:
            skipped += 1
    ran = len(cases) - skipped
    if ran == 0:
        return InputResult(source, None, f"no smoke test ran ({skipped} skipped)")
    if failed:
        return InputResult(
            source, False, f"{len(failed)} of {ran} smoke tests failed", tuple(failed)
        )
    return InputResult(source, True, f"{ran} smoke tests passed ({skipped} skipped)")
