"""The runner: a workflow's jobs in `needs:` order, each job's steps in bash or through an action
(trainmaster's composite action for real, third-party ones through stand-ins)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.workflow_runner.files import read_pairs, read_paths
from tests.workflow_runner.standins import DOCKER_SHIM, STAND_INS, Place, git
from trainmaster.checks.expressions import interpolate

# Environment gate: (environment, job id, run) → the login of the reviewer who approved, or
# None when the deployment is rejected.
Reviewer = Callable[[str, str, "Run"], str | None]
# Is `login` one of the environment's required reviewers (asked of the GitHub emulator)?
ReviewerCheck = Callable[[str, str], bool]
_RUN_IDS = itertools.count(9001)


@dataclass
class StepResult:
    name: str
    outcome: str  # success | failure | skipped
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class JobResult:
    id: str
    result: str  # success | failure | skipped
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    log: str = ""
    steps: list[StepResult] = field(default_factory=list)
    attempt: int = 1


@dataclass
class Run:
    id: int
    workflow: Path
    inputs: dict[str, Any]
    sha: str
    attempt: int = 1
    jobs: dict[str, JobResult] = field(default_factory=dict)

    @property
    def conclusion(self) -> str:
        return "failure" if any(j.result == "failure" for j in self.jobs.values()) else "success"

    def results(self) -> dict[str, str]:
        return {name: job.result for name, job in self.jobs.items()}


@dataclass
class Settings:
    """What a run needs from the test: the repository, trainmaster's action, the emulators."""

    remote: Path  # the repository checkout clones (a bare repository)
    root: Path  # where runs keep their workspaces, temp dirs, registry and tool cache
    action: str  # the `uses:` value of trainmaster's action, e.g. acme/trainmaster@<sha>
    action_path: Path  # its checkout: the worktree (action.yml at its root)
    repository: str
    api_url: str
    secrets: dict[str, str]
    vars: dict[str, str] = field(default_factory=dict)
    actor: str = "release-captain"
    reviewer: Reviewer | None = None
    is_reviewer: ReviewerCheck | None = None
    host_env: dict[str, str] = field(default_factory=dict)  # e.g. the pip configuration
    tool_cache: Path | None = None  # shared by runs (a self-hosted runner's); default per root


class Runner:
    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.registry = settings.root / "registry"
        self.tool_cache = settings.tool_cache or settings.root / "toolcache"
        self.bin = settings.root / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        shim = self.bin / "docker"
        shim.write_text(DOCKER_SHIM)
        shim.chmod(0o755)

    # --- runs ------------------------------------------------------------------------------

    def run(self, workflow: Path, inputs: dict[str, Any] | None = None) -> Run:
        """A `workflow_dispatch` run of `workflow` on the head of the default branch."""
        spec = _load(workflow)
        triggers = spec.get(True, spec.get("on"))  # PyYAML reads a bare `on` as True
        on = triggers if isinstance(triggers, dict) else {}  # `on: workflow_dispatch`
        declared = (on.get("workflow_dispatch") or {}).get("inputs") or {}
        values = {k: v.get("default", "") for k, v in declared.items()} | (inputs or {})
        sha = git("rev-parse", "main", cwd=self.s.remote)
        run = Run(next(_RUN_IDS), workflow, values, sha)
        self._attempt(run, spec, set(spec["jobs"]))
        return run

    def rerun_failed(self, run: Run) -> Run:
        """GitHub's "re-run failed jobs": a new attempt of the failed and skipped jobs; the
        succeeded ones keep their results and outputs."""
        spec = _load(run.workflow)
        run.attempt += 1
        again = {name for name, job in run.jobs.items() if job.result != "success"}
        self._attempt(run, spec, again)
        return run

    def _attempt(self, run: Run, spec: dict[str, Any], todo: set[str]) -> None:
        for name in _order(spec["jobs"]):
            if name not in todo:
                continue
            job = spec["jobs"][name]
            needs = _needs(job)
            if any(run.jobs.get(n, JobResult(n, "skipped")).result != "success" for n in needs):
                run.jobs[name] = JobResult(name, "skipped", attempt=run.attempt)
                continue
            run.jobs[name] = self._job(run, spec, name, job)

    # --- one job ---------------------------------------------------------------------------

    def _job(self, run: Run, spec: dict[str, Any], name: str, job: dict[str, Any]) -> JobResult:
        result = JobResult(name, "success", attempt=run.attempt)
        base = self.s.root / f"run-{run.id}" / f"attempt-{run.attempt}" / name
        workspace, temp = base / "workspace", base / "temp"
        workspace.mkdir(parents=True)
        temp.mkdir()
        contexts = self._contexts(run, spec, name, workspace, temp)
        env = {k: interpolate(str(v), contexts) for k, v in (spec.get("env") or {}).items()}
        contexts["env"] = dict(env)
        env |= {k: interpolate(str(v), contexts) for k, v in (job.get("env") or {}).items()}
        if not self._environment_allows(job, name, run, result):
            result.result = "failure"
            return result
        deadline = time.monotonic() + 60 * float(job.get("timeout-minutes", 360))
        job_state = _JobState(env=env, paths=[], workspace=workspace, temp=temp, base=base)
        steps: dict[str, Any] = {}
        failed = False
        for index, step in enumerate(job.get("steps", [])):
            label = step.get("name") or step.get("uses") or f"step {index + 1}"
            if failed:
                result.steps.append(StepResult(label, "skipped"))
                continue
            if "if" in step:
                raise NotImplementedError(f"{name}: step `if:` is not supported by the runner")
            contexts |= {"env": dict(job_state.env), "steps": steps}
            outcome = self._step(step, contexts, job_state, result, deadline)
            result.steps.append(StepResult(label, outcome.outcome, outcome.outputs))
            if step.get("id"):
                steps[step["id"]] = {
                    "outputs": outcome.outputs,
                    "outcome": outcome.outcome,
                    "conclusion": outcome.outcome,
                }
            failed = outcome.outcome == "failure"
        result.result = "failure" if failed else "success"
        contexts["steps"] = steps
        for key, expression in (job.get("outputs") or {}).items():
            try:
                result.outputs[key] = interpolate(str(expression), contexts)
            except (ValueError, TypeError):  # e.g. fromJSON of a failed step's empty output
                result.outputs[key] = ""
        return result

    def _environment_allows(
        self, job: dict[str, Any], name: str, run: Run, result: JobResult
    ) -> bool:
        environment = job.get("environment")
        if environment is None:
            return True
        env_name = environment if isinstance(environment, str) else environment["name"]
        approver = self.s.reviewer(env_name, name, run) if self.s.reviewer else None
        if approver is None:
            result.log += f"deployment to {env_name} was rejected or never reviewed\n"
            return False
        if self.s.is_reviewer is not None and not self.s.is_reviewer(env_name, approver):
            raise AssertionError(f"{approver} is not a required reviewer of {env_name}")
        result.log += f"{approver} approved the deployment to {env_name}\n"
        return True

    def _contexts(
        self, run: Run, spec: dict[str, Any], name: str, workspace: Path, temp: Path
    ) -> dict[str, Any]:
        needs = {
            n: {"result": run.jobs[n].result, "outputs": run.jobs[n].outputs}
            for n in _needs(spec["jobs"][name])
        }
        secrets = {"GITHUB_TOKEN": self.s.secrets.get("GITHUB_TOKEN", "")} | self.s.secrets
        return {
            "github": {
                "repository": self.s.repository,
                "sha": run.sha,
                "ref": "refs/heads/main",
                "ref_name": "main",
                "run_id": str(run.id),
                "run_attempt": str(run.attempt),
                "actor": self.s.actor,
                "triggering_actor": self.s.actor,
                "event_name": "workflow_dispatch",
                "event": {"inputs": run.inputs},
                "workspace": str(workspace),
                "api_url": self.s.api_url,
                "server_url": "https://github.com",
                "job": name,
            },
            "inputs": run.inputs,
            "vars": self.s.vars,
            "secrets": secrets,
            "needs": needs,
            "runner": {"temp": str(temp), "os": "Linux", "tool_cache": str(self.tool_cache)},
            "matrix": {},
            "strategy": {},
            "job": {},
            "steps": {},
        }

    def _process_env(self, run_env: dict[str, str], contexts: dict[str, Any], st: _JobState) -> dict[str, str]:  # fmt: skip
        github = contexts["github"]
        system = [p for p in os.environ.get("PATH", "").split(":") if ".venv" not in p]
        return {
            **self.s.host_env,
            "HOME": str(st.base / "home"),
            "PATH": ":".join([*reversed(st.paths), str(self.bin), *system]),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": github["repository"],
            "GITHUB_SHA": github["sha"],
            "GITHUB_REF": github["ref"],
            "GITHUB_RUN_ID": github["run_id"],
            "GITHUB_RUN_ATTEMPT": github["run_attempt"],
            "GITHUB_ACTOR": github["actor"],
            "GITHUB_TRIGGERING_ACTOR": github["triggering_actor"],
            "GITHUB_EVENT_NAME": github["event_name"],
            "GITHUB_WORKSPACE": github["workspace"],
            "GITHUB_API_URL": github["api_url"],
            "GITHUB_SERVER_URL": github["server_url"],
            "GITHUB_JOB": github["job"],
            "RUNNER_TEMP": str(st.temp),
            "RUNNER_TOOL_CACHE": str(self.tool_cache),
            "RUNNER_OS": "Linux",
            **run_env,
        }

    # --- one step --------------------------------------------------------------------------

    def _step(self, step: dict[str, Any], contexts: dict[str, Any], st: _JobState, result: JobResult, deadline: float) -> StepResult:  # fmt: skip
        env = dict(st.env) | {
            k: interpolate(str(v), contexts) for k, v in (step.get("env") or {}).items()
        }
        if "run" in step:
            script = interpolate(str(step["run"]), contexts)
            return self._bash(script, env, contexts, st, result, deadline)
        uses = str(step["uses"])
        inputs = {k: interpolate(str(v), contexts) for k, v in (step.get("with") or {}).items()}
        if uses == self.s.action:
            return self._composite(inputs, env, contexts, st, result, deadline)
        if uses not in STAND_INS:
            result.log += f"no stand-in for {uses}\n"
            return StepResult(uses, "failure")
        place = Place(st.workspace, self.s.remote, self.registry)
        try:
            return StepResult(uses, "success", STAND_INS[uses](inputs, place))
        except (RuntimeError, subprocess.CalledProcessError) as e:
            result.log += f"{uses}: {e}\n"
            return StepResult(uses, "failure")

    def _bash(self, script: str, env: dict[str, str], contexts: dict[str, Any], st: _JobState, result: JobResult, deadline: float) -> StepResult:  # fmt: skip
        files = {n: st.temp / f"_{n.lower()}_{time.monotonic_ns()}" for n in _FILES}
        for path in files.values():
            path.touch()
        script_file = st.temp / f"_script_{time.monotonic_ns()}.sh"
        script_file.write_text(script)
        process_env = self._process_env(env, contexts, st) | {n: str(p) for n, p in files.items()}
        (st.base / "home").mkdir(exist_ok=True)
        remaining = max(1.0, deadline - time.monotonic())
        try:
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
                cwd=st.workspace,
                env=process_env,
                capture_output=True,
                text=True,
                timeout=remaining,
                check=False,
            )
            code, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as e:
            code, out, err = 124, str(e.stdout or ""), "the job's timeout-minutes expired\n"
        result.log += f"$ {script}\n{out}{err}[exit {code}]\n"
        st.env |= read_pairs(files["GITHUB_ENV"])
        st.paths += read_paths(files["GITHUB_PATH"])
        result.summary += files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
        outputs = read_pairs(files["GITHUB_OUTPUT"])
        return StepResult("run", "success" if code == 0 else "failure", outputs)

    def _composite(self, inputs: dict[str, str], env: dict[str, str], caller: dict[str, Any], st: _JobState, result: JobResult, deadline: float) -> StepResult:  # fmt: skip
        """trainmaster's own action: its `runs.steps` executed here, as GitHub's runner would."""
        meta = yaml.safe_load((self.s.action_path / "action.yml").read_text(encoding="utf-8"))
        values = {k: str(v.get("default", "")) for k, v in meta.get("inputs", {}).items()}
        values |= inputs
        steps: dict[str, Any] = {}
        contexts = dict(caller) | {
            "inputs": values,
            "steps": steps,
            "github": caller["github"] | {"action_path": str(self.s.action_path)},
        }
        for step in meta["runs"]["steps"]:
            step_env = env | {
                k: interpolate(str(v), contexts) for k, v in (step.get("env") or {}).items()
            }
            step_env["GITHUB_ACTION_PATH"] = str(self.s.action_path)
            script = interpolate(str(step["run"]), contexts)
            done = self._bash(script, step_env, contexts, st, result, deadline)
            if step.get("id"):
                steps[step["id"]] = {"outputs": done.outputs, "outcome": done.outcome}
            if done.outcome == "failure":
                return StepResult("trainmaster", "failure", {})
        outputs = {
            k: interpolate(str(v["value"]), contexts) for k, v in meta.get("outputs", {}).items()
        }
        return StepResult("trainmaster", "success", outputs)

    def clean(self) -> None:
        shutil.rmtree(self.s.root / "bin", ignore_errors=True)


_FILES = ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")


@dataclass
class _JobState:
    env: dict[str, str]
    paths: list[str]
    workspace: Path
    temp: Path
    base: Path


def _load(workflow: Path) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    return spec


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def _order(jobs: dict[str, Any]) -> list[str]:
    """Jobs in an order where each comes after its needs (file order among the ready ones)."""
    done: list[str] = []
    while len(done) < len(jobs):
        ready = [n for n in jobs if n not in done and all(d in done for d in _needs(jobs[n]))]
        if not ready:
            raise ValueError(f"a cycle among the jobs' needs: {sorted(set(jobs) - set(done))}")
        done.append(ready[0])
    return done
