"""Every parser of untrusted input, fuzzed: a documented result or trainmaster's error, never
another exception, within a memory cap per case. `make fuzz` runs 10,000 cases per target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import DATA, hostile_text, json_text, mutated
from trainmaster.checks.contexts import predict
from trainmaster.checks.matrix import MAX_COMBINATIONS, MatrixError, expand
from trainmaster.checks.workflow import read_workflow
from trainmaster.config import parse_policy
from trainmaster.config.seed import seed_policy_text
from trainmaster.errors import PolicyError, UsageError
from trainmaster.gates.inputs import LoadLimits, parse_k6, parse_locust, parse_migrations
from trainmaster.gates.junit import parse_junit

Bounded = Callable[[Callable[[], Any]], Any]
SEED = seed_policy_text("acme", "maestro")
WORKFLOW = """name: ci
on:
  pull_request:
    branches: [main]
jobs:
  test:
    name: test ${{ matrix.py }}
    runs-on: ubuntu-latest
    strategy:
      matrix:
        py: ['3.11', '3.12']
        os: [a, b]
        include: [{py: '3.13', extra: x}]
        exclude: [{os: b}]
  call:
    uses: ./.github/workflows/ci.yml
    needs: test
"""


@given(hostile_text(SEED))
def test_policy_loader(bounded: Bounded, text: str) -> None:
    def case() -> None:
        try:
            parse_policy(text, "trainmaster.yaml")
        except PolicyError as e:
            assert e.message.startswith("trainmaster.yaml:")
            assert "\n" not in e.message

    bounded(case)


@given(hostile_text(WORKFLOW))
def test_workflow_reader_and_prediction(bounded: Bounded, text: str) -> None:
    def case() -> None:
        workflow, findings = read_workflow(text, ".github/workflows/ci.yml")
        assert all(f.file == ".github/workflows/ci.yml" and f.line >= 1 for f in findings)
        if workflow is not None:
            predict({".github/workflows/ci.yml": workflow})

    bounded(case)


@given(DATA)
def test_matrix_expansion(bounded: Bounded, matrix: Any) -> None:
    def case() -> None:
        try:
            expansion = expand(matrix)
        except MatrixError as e:
            assert str(e)
            return
        assert expansion is None or len(expansion.combinations) <= MAX_COMBINATIONS

    bounded(case)


K6 = json_text({"metrics": {"http_req_failed": {"thresholds": {"rate<0.01": {"ok": True}}}}})
LOCUST = json_text([{"num_requests": 10, "num_failures": 1, "response_times": {"120": 10}}])
JUNIT = '<testsuites><testsuite><testcase classname="a" name="b"/></testsuite></testsuites>'


@given(st.sampled_from(["k6", "locust", "migrations", "junit"]), st.data())
def test_gate_inputs(bounded: Bounded, kind: str, data: st.DataObject) -> None:
    base = {"k6": K6, "locust": LOCUST, "migrations": '{"breaches": []}', "junit": JUNIT}[kind]
    text = data.draw(st.one_of(hostile_text(base), DATA.map(json_text), mutated(base)))
    limits = LoadLimits(max_error_ratio=0.01, max_p95_seconds=1.0)
    parsers: dict[str, Callable[[str], Any]] = {
        "k6": lambda t: parse_k6(t, "in"),
        "locust": lambda t: parse_locust(t, limits, "in"),
        "migrations": lambda t: parse_migrations(t, "in"),
        "junit": lambda t: parse_junit(t, "in"),
    }

    def case() -> None:
        try:
            parsers[kind](text)
        except UsageError as e:
            assert e.message.startswith("in: ")

    bounded(case)
