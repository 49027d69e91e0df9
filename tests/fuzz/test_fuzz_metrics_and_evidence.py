"""The exposition parser, PromQL and the evidence manifest, fuzzed like the other parsers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import DATA, TRICKS, hostile_text, json_text, mutated
from trainmaster.adapters.scrape.engine import evaluate
from trainmaster.adapters.scrape.source import ScrapeFailed, ScrapeMetrics
from trainmaster.errors import CheckFailed
from trainmaster.evidence import archive
from trainmaster.evidence.manifest import ManifestError, entries, parse_manifest
from trainmaster.evidence.verify import verify_bundle
from trainmaster.gates.promql import Unsupported, parse

Bounded = Callable[[Callable[[], Any]], Any]
EXPOSITION = """# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/"} 1027
http_requests_total{code="500",path="/"} 3 1395066363000
# TYPE latency histogram
latency_bucket{le="0.1"} 5
latency_bucket{le="+Inf"} 7
latency_sum 1.5
latency_count 7
"""
QUERY = (
    'sum(rate(http_requests_total{job="$service",code=~"5.."}[5m])) / '
    "sum(rate(http_requests_total[5m])) or vector(0)"
)


@pytest.fixture(scope="module")
def scraper() -> ScrapeMetrics:
    return ScrapeMetrics(lambda: [], job="svc")


@given(hostile_text(EXPOSITION))
def test_exposition_parser(bounded: Bounded, scraper: ScrapeMetrics, text: str) -> None:
    def case() -> None:
        try:
            scraper.ingest("http://127.0.0.1:1/metrics", text, 100.0)
        except ScrapeFailed as e:
            assert str(e)

    bounded(case)


PROMQL_PIECES = st.sampled_from(
    [
        "sum(",
        "rate(",
        "(",
        ")",
        "[5m]",
        "{",
        "}",
        'code="5"',
        ",",
        " by (code)",
        " / ",
        " + ",
        "-",
        "up",
        "vector(1)",
        "histogram_quantile(0.9, ",
        "1e999",
        "0x",
        "`",
        "offset 5m",
        "@",
    ]
)


@given(
    st.one_of(mutated(QUERY), st.lists(st.one_of(PROMQL_PIECES, TRICKS), max_size=30).map("".join))
)
def test_promql(bounded: Bounded, scraper: ScrapeMetrics, query: str) -> None:
    scraper.ingest("http://127.0.0.1:1/metrics", EXPOSITION, 100.0)

    def case() -> None:
        try:
            evaluate(parse(query), scraper.store, 100.0)
        except Unsupported as e:
            assert str(e)

    bounded(case)


@pytest.fixture(scope="module")
def bundle_files() -> dict[str, bytes]:
    files = {
        "PRODUCTION_GO_EVIDENCE.md": b"# evidence\n",
        "audit/events.json": json.dumps({"start_prev": "0" * 64, "events": []}).encode(),
    }
    manifest = {
        "format": "trainmaster-evidence/1",
        "train": "v1",
        "created_at": "2026-01-01T00:00:00Z",
        "tool_version": "0",
        "files": [{"path": e.path, "sha256": e.sha256, "size": e.size} for e in entries(files)],
        "audit": {"file": "audit/events.json", "start_prev": "0" * 64},
        "signing": {"algorithm": "none", "public_key_fingerprint": None},
    }
    return {**files, "manifest.json": json.dumps(manifest).encode()}


@given(st.data())
def test_evidence_manifest(
    bounded: Bounded,
    bundle_files: dict[str, bytes],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
) -> None:
    base = bundle_files["manifest.json"].decode()
    body = json.loads(base)
    field = data.draw(st.sampled_from(sorted(body)))
    replaced = json_text({**body, field: data.draw(DATA)})
    text = data.draw(st.one_of(st.just(replaced), mutated(base), hostile_text(base)))
    target = tmp_path_factory.mktemp("fuzz") / "bundle.tar.gz"
    target.write_bytes(
        archive.pack({**bundle_files, "manifest.json": text.encode("utf-8", "surrogatepass")})
    )

    def case() -> None:
        try:
            parse_manifest(text.encode("utf-8", "surrogatepass"))
        except ManifestError as e:
            assert str(e)
        try:
            verify_bundle(Path(target))
        except CheckFailed as e:
            assert e.message

    bounded(case)
