"""The local git repository: one `git log` pass for history, refs, branches, tags, cherry-picks.

Every read of history is a single process with a NUL-separated machine format (commit messages
cannot contain NUL), so cost is linear in commits and never one process per commit or per tag.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from trainmaster.errors import ExternalError, UsageError

# hash, author name, author email, author date, raw message (subject + body)
_FIELDS = ("%H", "%an", "%ae", "%aI", "%B")
_LOG_FORMAT = "%x00".join(_FIELDS)
_PIPE_SIZE = 1 << 20


class RawCommit(NamedTuple):
    """One commit as git wrote it (a NamedTuple: a whole history is cheap to build)."""

    sha: str
    author: str
    email: str
    date: str  # ISO 8601 with offset, as git wrote it
    message: str


class GitError(ExternalError):
    """A git command failed for a reason other than bad input."""


class CherryPickConflict(UsageError):
    """A picked commit does not apply cleanly on the released tag."""


class GitRepo:
    """A working repository at `path`. Methods raise UsageError for bad refs, GitError else."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._identity: list[str] | None = None

    # --- plumbing ----------------------------------------------------------------------------

    def run(self, *args: str, check: bool = True, cwd: Path | None = None) -> str:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd or self.path,
                capture_output=True,
                check=False,
                env=_quiet_env(),
            )
        except OSError as e:
            raise GitError(f"cannot run git: {e}") from e
        if check and done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]}: {message[-1] if message else 'failed'}")
        return done.stdout.decode("utf-8", "replace")

    def _ok(self, *args: str) -> bool:
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.path, capture_output=True, check=False, env=_quiet_env()
            )
        except OSError as e:
            raise GitError(f"cannot run git: {e}") from e
        return done.returncode == 0

    def check_repository(self) -> None:
        if not self._ok("rev-parse", "--git-dir"):
            raise UsageError(f"{self.path}: not a git repository")

    # --- reading ------------------------------------------------------------------------------

    def log(self, revisions: Sequence[str], *, first_parent: bool = False) -> list[RawCommit]:
        """Commits of `revisions` (e.g. ["v1.2.0..HEAD"]), newest first, in one git process."""
        return list(self.iter_log(revisions, first_parent=first_parent))

    def iter_log(
        self, revisions: Sequence[str], *, first_parent: bool = False
    ) -> Iterator[RawCommit]:
        """Stream commits while git is still walking history, so parsing overlaps git's work."""
        for rev in revisions:
            if rev.startswith("-"):
                raise UsageError(f"not a revision range: {rev!r}")
        args = ["git", "log", "-z", f"--format={_LOG_FORMAT}", "--no-color", "--no-show-signature"]
        if first_parent:
            args.append("--first-parent")
        try:
            process = subprocess.Popen(
                [*args, *revisions, "--"],
                cwd=self.path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_quiet_env(),
            )
        except OSError as e:
            raise GitError(f"cannot run git: {e}") from e
        assert process.stdout is not None and process.stderr is not None
        with process:
            pending: list[str] = []
            rest = b""
            out = process.stdout.fileno()
            _widen_pipe(out)
            while chunk := os.read(out, _PIPE_SIZE):
                # Decode up to the last NUL in one call: NUL never sits inside a UTF-8 sequence,
                # so this equals decoding field by field, at a fraction of the calls.
                buffer = rest + chunk
                cut = buffer.rfind(b"\0")
                if cut < 0:
                    rest = buffer
                    continue
                pending.extend(buffer[:cut].decode("utf-8", "replace").split("\0"))
                rest = buffer[cut + 1 :]
                usable = len(pending) - len(pending) % len(_FIELDS)
                yield from _commits(pending[:usable])
                del pending[:usable]
            error = process.stderr.read().decode("utf-8", "replace").strip()
        if process.returncode != 0:
            shown = error.splitlines()[-1] if error else "failed"
            raise UsageError(f"unknown revision or range {' '.join(revisions)!r}: {shown}")

    def resolve(self, rev: str) -> str | None:
        """The commit sha `rev` names, or None."""
        if rev.startswith("-"):
            return None
        out = self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        return out.strip() or None

    def resolve_many(self, revs: Sequence[str]) -> dict[str, str | None]:
        """Resolve many revisions in one process (cat-file --batch-check)."""
        request = "".join(f"{r}^{{commit}}\n" for r in revs)
        done = subprocess.run(
            ["git", "cat-file", "--batch-check=%(objectname)"],
            cwd=self.path,
            input=request.encode(),
            capture_output=True,
            check=False,
            env=_quiet_env(),
        )
        lines = done.stdout.decode().splitlines()
        result: dict[str, str | None] = {}
        for rev, line in zip(revs, lines, strict=False):
            result[rev] = None if line.endswith("missing") or " " in line else line.strip()
        return result

    def tags(self, pattern: str, *, merged_into: str | None = None) -> dict[str, str]:
        """Tags matching the glob `pattern` → the commit each points at (peeled)."""
        args = ["for-each-ref", "--format=%(refname:strip=2)%00%(*objectname)%00%(objectname)"]
        if merged_into:
            args.append(f"--merged={merged_into}")
        out = self.run(*args, f"refs/tags/{pattern}")
        found: dict[str, str] = {}
        for line in out.splitlines():
            name, peeled, direct = line.split("\0")
            found[name] = peeled or direct
        return found

    def is_ancestor(self, commit: str, of: str) -> bool:
        """`commit` is reachable from `of` (a walk from `of` down to `commit` only, unlike
        `tags(merged_into=...)`, which may walk the whole history)."""
        return self._ok("merge-base", "--is-ancestor", commit, of)

    def branch_exists(self, name: str) -> bool:
        return self._ok("show-ref", "--verify", "--quiet", f"refs/heads/{name}")

    def tag_exists(self, name: str) -> bool:
        return self._ok("show-ref", "--verify", "--quiet", f"refs/tags/{name}")

    def is_dirty(self) -> bool:
        """Tracked files changed or staged; untracked files do not change what a cut ships."""
        return bool(self.run("status", "--porcelain", "--untracked-files=no").strip())

    def has_remote(self, name: str = "origin") -> bool:
        return self._ok("remote", "get-url", name)

    # --- writing ------------------------------------------------------------------------------

    def create_branch(self, name: str, sha: str) -> None:
        self.run("branch", "--no-track", name, sha)

    def create_tag(self, name: str, sha: str, message: str) -> None:
        self.run(*self._identity_args(), "tag", "--annotate", "--message", message, name, sha)

    def push(self, refs: Sequence[str], remote: str = "origin") -> None:
        self.run("push", "--quiet", remote, *refs)

    def cherry_pick_onto(self, base: str, picks: Sequence[str]) -> str:
        """Cherry-pick `picks` (oldest first, with -x) onto `base` in a throwaway worktree and
        return the resulting commit; no branch or checkout of the caller's tree changes, so a
        conflict leaves nothing behind."""
        if not picks:
            return base
        with self._worktree(base) as tree:
            args = ["cherry-pick", "-x", "--allow-empty", *picks]
            self.run(*self._identity_args(), *args, cwd=tree, check=False)
            status = self.run("status", "--porcelain", cwd=tree)
            if status.strip() or self.run("rev-parse", "HEAD", cwd=tree).strip() == base:
                self.run("cherry-pick", "--abort", cwd=tree, check=False)
                raise CherryPickConflict(
                    f"cherry-picking {', '.join(p[:12] for p in picks)} onto {base[:12]} "
                    "conflicts; resolve it on a branch and pick the resolved commit"
                )
            return self.run("rev-parse", "HEAD", cwd=tree).strip()

    @contextmanager
    def _worktree(self, base: str) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="tm-hotfix-"))
        tree = folder / "tree"
        self.run("worktree", "add", "--quiet", "--detach", str(tree), base)
        try:
            yield tree
        finally:
            self.run("worktree", "remove", "--force", str(tree), check=False)
            shutil.rmtree(folder, ignore_errors=True)
            self.run("worktree", "prune", check=False)

    def _identity_args(self) -> list[str]:
        """A fallback identity for tags and picks when the repository has none configured."""
        if self._identity is None:
            named = self.run("config", "--get", "user.email", check=False).strip()
            fallback = ["-c", "user.name=trainmaster", "-c", "user.email=trainmaster@localhost"]
            self._identity = [] if named else fallback
        return self._identity


def parse_log(out: str) -> list[RawCommit]:
    """Split `git log -z` output in the format above: fields and records are both NUL-separated,
    so every commit is exactly len(_FIELDS) tokens."""
    tokens = out.split("\0")
    if tokens and tokens[-1] in ("", "\n"):
        tokens.pop()
    return list(_commits(tokens))


def _commits(tokens: list[str]) -> Iterator[RawCommit]:
    width = len(_FIELDS)
    for i in range(0, len(tokens) - width + 1, width):
        sha, author, email, date, message = tokens[i : i + width]
        yield RawCommit(sha.lstrip("\n"), author, email, date, message.strip("\n"))


def _widen_pipe(fd: int) -> None:
    """A 1 MiB pipe instead of 64 KiB: git writes ahead while the caller parses, instead of
    waiting to be woken every 64 KiB (on a busy machine each wake-up costs milliseconds)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or above the system's pipe-max-size: the default pipe still works


def _quiet_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env["LC_ALL"] = "C"
    return env
