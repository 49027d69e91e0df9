"""The runner itself: needs order, the command files, expressions, skips, re-runs, stand-ins."""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
from pathlib import Path

from tests.workflow_runner.conftest import make_remote
from tests.workflow_runner.files import read_pairs

WORKFLOW = """
name: t
on:
  workflow_dispatch:
    inputs:
      word: {type: string, default: hello}
env:
  GREETING: ${{ inputs.word }}
jobs:
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - env:
          FROM_FIRST: ${{ needs.first.outputs.value }}
        run: |
          test "$FROM_FIRST" = "hello world"
          test "$ADDED" = "by first"   # GITHUB_ENV is per job: not here
  first:
    runs-on: ubuntu-latest
    outputs:
      value: ${{ steps.one.outputs.value }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - id: one
        run: |
          echo "value=$GREETING world" >> "$GITHUB_OUTPUT"
          echo "ADDED=by first" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/tools" && printf '#!/bin/sh\\necho tool\\n' > "$RUNNER_TEMP/tools/mytool"
          chmod +x "$RUNNER_TEMP/tools/mytool" && echo "$RUNNER_TEMP/tools" >> "$GITHUB_PATH"
          echo "### first" >> "$GITHUB_STEP_SUMMARY"
      - run: |
          test "$ADDED" = "by first" && test "$(mytool)" = tool && test -f service.txt
          echo "multi<<EOF" >> "$GITHUB_OUTPUT"; printf 'a\\nb\\n' >> "$GITHUB_OUTPUT"; echo EOF >> "$GITHUB_OUTPUT"
  third:
    needs: second
    runs-on: ubuntu-latest
    steps:
      - run: echo never
"""


def test_jobs_run_in_needs_order_and_a_rerun_repeats_only_what_failed(
    tmp_path: Path, runner_for
) -> None:  # type: ignore[no-untyped-def]
    _, remote = make_remote(tmp_path, {"service.txt": "v1\n", ".github/workflows/t.yml": WORKFLOW})
    runner = runner_for(remote)
    workflow = tmp_path / "t.yml"
    workflow.write_text(WORKFLOW)
    run = runner.run(workflow)
    assert run.results() == {"first": "success", "second": "failure", "third": "skipped"}
    first = run.jobs["first"]
    assert first.outputs == {"value": "hello world"}
    assert first.summary == "### first\n"
    assert [s.outcome for s in first.steps] == ["success", "success", "success"]
    assert first.steps[2].outputs == {"multi": "a\nb"}
    assert "[exit 1]" in run.jobs["second"].log

    fixed = WORKFLOW.replace('test "$ADDED" = "by first"   # GITHUB_ENV', "true  # GITHUB_ENV")
    workflow.write_text(fixed)
    again = runner.rerun_failed(run)
    assert again.attempt == 2
    assert again.results() == {"first": "success", "second": "success", "third": "success"}
    assert again.jobs["first"].attempt == 1  # kept, not run again
    assert again.jobs["second"].attempt == again.jobs["third"].attempt == 2


def test_a_workflow_dispatch_input_reaches_the_steps(tmp_path: Path, runner_for) -> None:  # type: ignore[no-untyped-def]
    _, remote = make_remote(tmp_path, {"service.txt": "v1\n"})
    workflow = tmp_path / "t.yml"
    workflow.write_text(WORKFLOW)
    run = runner_for(remote).run(workflow, {"word": "goodbye"})
    assert run.jobs["first"].outputs == {"value": "goodbye world"}


def test_a_failed_step_skips_the_rest_and_an_unknown_action_fails(
    tmp_path: Path, runner_for
) -> None:  # type: ignore[no-untyped-def]
    _, remote = make_remote(tmp_path, {"service.txt": "v1\n"})
    workflow = tmp_path / "t.yml"
    workflow.write_text(
        "on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: some/action@v1\n      - run: echo after\n"
    )
    run = runner_for(remote).run(workflow)
    assert [s.outcome for s in run.jobs["a"].steps] == ["failure", "skipped"]
    assert "no stand-in for some/action@v1" in run.jobs["a"].log


def test_an_environment_waits_for_a_listed_reviewer(tmp_path: Path, runner_for) -> None:  # type: ignore[no-untyped-def]
    _, remote = make_remote(tmp_path, {"service.txt": "v1\n"})
    workflow = tmp_path / "t.yml"
    workflow.write_text(
        "on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    environment: prod\n"
        "    steps:\n      - run: echo deployed\n"
    )
    asked: list[tuple[str, str]] = []

    def reviewer(env: str, job: str, _run: object) -> str | None:
        asked.append((env, job))
        return None

    rejected = runner_for(remote, reviewer=reviewer).run(workflow)
    assert asked == [("prod", "a")]
    assert rejected.results() == {"a": "failure"} and not rejected.jobs["a"].steps
    approved = runner_for(
        remote, reviewer=lambda *_: "alice", is_reviewer=lambda env, who: who == "alice"
    ).run(workflow)
    assert approved.results() == {"a": "success"}


def test_build_push_stands_in_with_the_checkout_as_the_image(tmp_path: Path, runner_for) -> None:  # type: ignore[no-untyped-def]
    _, remote = make_remote(tmp_path, {"service.txt": "v1\n", "behaviour": "good\n"})
    workflow = tmp_path / "t.yml"
    workflow.write_text(
        "on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n"
        "      - id: build\n"
        "        uses: docker/build-push-action@471d1dc4e07e5cdedd4c2171150001c434f0b7a4\n"
        "        with: {context: ., push: true, tags: x}\n"
        '      - run: echo "$TOKEN" | docker login ghcr.io --username me --password-stdin\n'
        "        env: {TOKEN: secret}\n"
    )
    runner = runner_for(remote)
    run = runner.run(workflow)
    assert run.results() == {"a": "success"}
    digest = run.jobs["a"].steps[1].outputs["digest"]
    image = runner.registry / f"{digest.removeprefix('sha256:')}.tar"
    assert digest == "sha256:" + hashlib.sha256(image.read_bytes()).hexdigest()
    with tarfile.open(image) as tar:
        assert sorted(tar.getnames()) == ["behaviour", "service.txt"]
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "main"], cwd=remote, capture_output=True, check=True
    ).stdout
    assert image.read_bytes() == archive  # the same commit builds the same digest


def test_output_files_read_like_the_runner(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("a=1\nb<<X\nline 1\nline=2\nX\na=3\n")
    assert read_pairs(path) == {"a": "3", "b": "line 1\nline=2"}
