"""Where text to scan comes from: the working tree, CI log files, and git history in one
`git log -p` pass. Binary, huge and unreadable inputs become notices, never crashes."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trainmaster.evidence.secrets.findings import Notice

MAX_FILE_BYTES = 5 * 1024 * 1024  # source files; larger ones are data, not code
MAX_LOG_BYTES = 200 * 1024 * 1024  # CI logs run long
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


@dataclass(frozen=True)
class Text:
    path: str  # as reported: relative to the root for the tree, as given for logs
    text: str
    commit: str | None = None
    lines: tuple[tuple[int, str], ...] | None = None  # history: only the added lines


def tree_files(root: Path, notices: list[Notice]) -> list[str]:
    """Files of the working tree: git's view (tracked and untracked, not ignored) when `root` is
    a repository, else every file below it except tool folders."""
    listed = _git_files(root)
    if listed is not None:
        return sorted(listed)
    found = []
    for folder, dirs, files in os.walk(
        root,
        onerror=lambda e: notices.append(
            Notice(str(e.filename), f"unreadable folder ({e.strerror}); skipped")
        ),
    ):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        found += [os.path.relpath(os.path.join(folder, f), root) for f in files]
    return sorted(p.replace(os.sep, "/") for p in found)


def _git_files(root: Path) -> list[str] | None:
    try:
        done = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    inside = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--show-prefix"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0 or inside.returncode != 0:
        return None
    names = [n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    return list(dict.fromkeys(names))  # a conflicted file is listed once per stage


def read_text(path: Path, shown: str, notices: list[Notice], limit: int) -> str | None:
    try:
        if path.is_symlink():
            return None  # the target is scanned where it lives, if inside the tree
        size = path.stat().st_size
        if size > limit:
            notices.append(Notice(shown, f"larger than {limit // (1024 * 1024)} MiB; skipped"))
            return None
        data = path.read_bytes()
    except OSError as e:
        notices.append(Notice(shown, f"unreadable ({e.strerror or e}); skipped"))
        return None
    if b"\0" in data[:8192]:
        notices.append(Notice(shown, "binary file; skipped"))
        return None
    return data.decode("utf-8", "replace")


def log_files(paths: list[Path], notices: list[Notice]) -> Iterator[Text]:
    for given in paths:
        if given.is_dir():
            files = sorted(p for p in given.rglob("*") if p.is_file())
        elif given.exists():
            files = [given]
        else:
            notices.append(Notice(str(given), "no such log file or folder; skipped"))
            continue
        for file in files:
            if zipfile.is_zipfile(file):
                yield from _zipped_logs(file, notices)
                continue
            text = read_text(file, str(file), notices, MAX_LOG_BYTES)
            if text is not None:
                yield Text(str(file), text)


def _zipped_logs(archive: Path, notices: list[Notice]) -> Iterator[Text]:
    """A workflow run's logs as GitHub serves them: one zip, a text file per job step."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                shown = f"{archive}!{member.filename}"
                if member.is_dir():
                    continue
                if member.file_size > MAX_LOG_BYTES:
                    notices.append(Notice(shown, "larger than 200 MiB; skipped"))
                    continue
                data = bundle.read(member)
                if b"\0" in data[:8192]:
                    notices.append(Notice(shown, "binary file; skipped"))
                    continue
                yield Text(shown, data.decode("utf-8", "replace"))
    except (OSError, zipfile.BadZipFile, RuntimeError) as e:  # RuntimeError: encrypted member
        notices.append(Notice(str(archive), f"unreadable zip ({e}); skipped"))


HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def history(root: Path, notices: list[Notice]) -> Iterator[Text]:
    """Added lines of every commit on every ref, read from one streaming `git log -p`."""
    command = [
        "git",
        "-C",
        str(root),
        "log",
        "--all",
        "-p",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        "-U0",
        "--format=%x00commit %H",
    ]
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError as e:
        notices.append(Notice(str(root), f"git history unreadable ({e}); skipped"))
        return
    assert process.stdout is not None
    commit, path, number, in_header = "", "", 0, False
    added: list[tuple[int, str]] = []
    for raw in process.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if line.startswith("\0commit ") or line.startswith("diff --git "):
            if added:
                yield Text(path, "", commit, tuple(added))
            added, in_header = [], line.startswith("diff --git ")
            if line.startswith("\0commit "):
                commit, path = line.split()[1], ""
        elif in_header and line.startswith("+++ "):
            # An added line "++ x" also reads "+++ x": only headers come before the first hunk.
            path = line[6:] if line.startswith("+++ b/") else ""
        elif (hunk := HUNK.match(line)) is not None:
            number, in_header = int(hunk.group(1)), False
        elif line.startswith("+") and path and not in_header:
            added.append((number, line[1:]))
            number += 1
    if added:
        yield Text(path, "", commit, tuple(added))
    if process.wait() != 0:
        notices.append(Notice(str(root), "not a git repository (or no commits); history skipped"))
