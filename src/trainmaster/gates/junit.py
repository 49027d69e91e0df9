"""Smoke results as JUnit XML (pytest, Jest, Go, Maven Surefire all write it).

The root is `<testsuites>` or a single `<testsuite>`; each `<testcase>` fails with a `<failure>`
or `<error>` child and is skipped with `<skipped>`. Counting the test cases themselves, not the
suites' attributes, keeps a hand-edited or truncated summary from passing.

The file is untrusted: a DTD (entity expansion bombs, external entities) is refused outright, JUnit
never needs one; the size is checked before parsing and the depth while parsing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from trainmaster.errors import UsageError
from trainmaster.gates.inputs import InputResult

MAX_XML_BYTES = 20_000_000  # a JUnit report of ten thousand cases with output is a few MB
MAX_XML_DEPTH = 64  # testsuites > testsuite (nested a few times) > testcase > failure
_DTD = re.compile(r"<!DOCTYPE|<!ENTITY")


def parse_junit(text: str, source: str = "JUnit report") -> InputResult:
    root = _parse(text, source)
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


def _parse(text: str, source: str) -> ET.Element:
    if len(text) > MAX_XML_BYTES:
        raise UsageError(f"{source}: larger than {MAX_XML_BYTES} bytes; not read")
    if _DTD.search(text):
        raise UsageError(f"{source}: a DTD is not allowed in a JUnit report")
    parser = ET.XMLPullParser(events=("start", "end"))  # type: ignore[var-annotated]
    depth = 0
    root: ET.Element | None = None
    try:
        parser.feed(text)
        parser.close()
        for event, element in parser.read_events():  # type: ignore[misc]
            depth += 1 if event == "start" else -1
            if depth > MAX_XML_DEPTH:
                raise UsageError(f"{source}: elements nested deeper than {MAX_XML_DEPTH} levels")
            if root is None and isinstance(element, ET.Element):
                root = element
    except ET.ParseError as e:
        raise UsageError(f"{source}: malformed XML ({e})") from e
    if root is None:
        raise UsageError(f"{source}: malformed XML (no element)")
    return root
