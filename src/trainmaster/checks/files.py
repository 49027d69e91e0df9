"""Reading a workflow directory: the checks core's only input from disk.

GitHub reads `.yml` and `.yaml` files directly in `.github/workflows` (not subdirectories); local
reusable workflows are addressed as `./.github/workflows/<file>`, so each file is keyed that way
whatever directory it was read from.
"""

from __future__ import annotations

from pathlib import Path

from trainmaster.checks.findings import Finding
from trainmaster.checks.source import MAX_BYTES
from trainmaster.checks.workflow import Workflow, read_workflow

WORKFLOWS_DIR = ".github/workflows"


def read_workflows(directory: Path) -> tuple[dict[str, Workflow], list[Finding]]:
    """Every readable workflow keyed `.github/workflows/<file>`, and the findings of the rest."""
    from trainmaster.errors import UsageError

    if not directory.is_dir():
        raise UsageError(f"{directory}: no such workflow directory")
    workflows: dict[str, Workflow] = {}
    findings: list[Finding] = []
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    for file in files:
        shown = _shown(file)
        text, problem = _text(file)
        if problem:
            findings.append(Finding("workflow-invalid", "error", problem, shown, 1))
            continue
        try:
            workflow, found = read_workflow(text, shown)
        except Exception as e:  # one odd file must not stop the others from being analysed
            problem = f"cannot analyse this file ({type(e).__name__}: {e})"
            findings.append(Finding("workflow-invalid", "error", problem, shown, 1))
            continue
        findings += found
        if workflow is not None:
            workflows[f"{WORKFLOWS_DIR}/{file.name}"] = workflow
    return workflows, findings


def _text(file: Path) -> tuple[str, str]:
    try:
        if file.stat().st_size > MAX_BYTES:
            return "", f"file is larger than {MAX_BYTES} bytes; not analysed"
        return file.read_text(encoding="utf-8"), ""
    except UnicodeDecodeError:
        return "", "not UTF-8 text"
    except OSError as e:
        return "", f"cannot read: {e.strerror or e}"


def _shown(file: Path) -> str:
    """The path as findings show it: relative to the working directory when inside it."""
    try:
        return file.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return file.as_posix()
