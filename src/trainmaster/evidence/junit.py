"""JUnit XML test reports: how many tests ran, failed, errored, were skipped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestSummary:
    tests: int
    failures: int
    errors: int
    skipped: int

    @property
    def passed(self) -> bool:
        return self.failures == 0 and self.errors == 0


def summarize(data: bytes) -> TestSummary | None:
    """None when the file is not JUnit XML. defusedxml refuses entity tricks in foreign XML."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if root.tag not in ("testsuite", "testsuites"):
        return None
    totals = [0, 0, 0, 0]
    for suite in suites:
        for i, key in enumerate(("tests", "failures", "errors", "skipped")):
            totals[i] += _int(suite.get(key))
    return TestSummary(*totals)


def _int(value: str | None) -> int:
    try:
        return int(float(value)) if value else 0
    except ValueError:
        return 0
