"""Keeping the audit chain's signed head outside the store, and checking the store against it.

After every commit that appended events, the newest seq and hash are signed (HMAC-SHA256) and
written to a checkpoint file beside the store and, when the policy lives in a git repository, to
the ref `refs/trainmaster/audit` there (push it to keep a copy out of the machine's reach). The
key comes from `TRAINMASTER_AUDIT_KEY` or a 0600 key file beside the checkpoint, made on first
use. What this does and does not protect against: docs/architecture.md, "Audit chain".
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import subprocess
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from trainmaster.audit.head import Head, HeadError, Judgement, judge, parse_head, sign
from trainmaster.store import Store
from trainmaster.store.models import AuditEventRow

log = logging.getLogger(__name__)

KEY_ENV = "TRAINMASTER_AUDIT_KEY"
REF = "refs/trainmaster/audit"
PENDING = "trainmaster.audit_head"  # session.info: the newest (seq, hash) this session appended


@dataclass(frozen=True)
class HeadKeeper:
    checkpoint: Path
    repository: Path | None = None

    @property
    def key_file(self) -> Path:
        return self.checkpoint.with_name(self.checkpoint.name + ".key")

    def key(self, *, create: bool = False) -> bytes | None:
        if env := os.environ.get(KEY_ENV):
            return env.encode("utf-8")
        if self.key_file.exists():
            return self.key_file.read_text(encoding="ascii").strip().encode("ascii")
        if not create:
            return None
        with contextlib.suppress(FileExistsError):
            _write_private(self.key_file, secrets.token_hex(32) + "\n", exclusive=True)
        return self.key_file.read_text(encoding="ascii").strip().encode("ascii")

    def record(self, seq: int, event_hash: str) -> None:
        """Sign and keep (seq, hash) unless a newer head is kept already."""
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            current = self.read_file()
            if current is not None and current.seq >= seq:
                return
            head = sign(seq, event_hash, self.key(create=True) or b"")
            scratch = self.checkpoint.with_name(self.checkpoint.name + ".tmp")
            _write_private(scratch, head.to_text())
            os.replace(scratch, self.checkpoint)
            if self.repository is not None:
                self._write_ref(head)

    def read_file(self) -> Head | None:
        try:
            return parse_head(self.checkpoint.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, HeadError):
            return Head(0, "", "")  # unreadable: judged as a forged head

    def read_ref(self) -> Head | None:
        if self.repository is None:
            return None
        text = _git(self.repository, "cat-file", "blob", REF, check=False)
        if text is None:
            return None
        try:
            return parse_head(text)
        except HeadError:
            return Head(0, "", "")

    def _write_ref(self, head: Head) -> None:
        assert self.repository is not None
        blob = _git(self.repository, "hash-object", "-w", "--stdin", stdin=head.to_text())
        if blob is not None:
            _git(self.repository, "update-ref", "-m", f"audit head {head.seq}", REF, blob.strip())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.checkpoint.with_name(self.checkpoint.name + ".lock")
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # writers in other processes wait here
            yield
        finally:
            os.close(descriptor)


def _write_private(path: Path, text: str, *, exclusive: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    with os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8") as out:
        out.write(text)


def _git(repository: Path, *args: str, stdin: str | None = None, check: bool = True) -> str | None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", "-C", str(repository), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=10,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as e:
        log.warning("git %s failed: %s", args[0], e)
        return None
    if done.returncode != 0:
        if check:
            log.warning("git %s failed: %s", args[0], done.stderr.strip()[:200])
        return None
    return done.stdout


_keepers: weakref.WeakKeyDictionary[Engine, HeadKeeper] = weakref.WeakKeyDictionary()


def keep_heads(store: Store, url: str, base_dir: Path | None) -> HeadKeeper | None:
    """Attach a keeper to the store: beside an SQLite file, or in `base_dir/.trainmaster` for a
    server database; the git repository at `base_dir` gets the ref too."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        if parsed.database in (None, "", ":memory:"):
            return None
        database = Path(str(parsed.database))
        checkpoint = database.with_name(database.name + ".audit-head")
    elif base_dir is not None:
        checkpoint = base_dir / ".trainmaster" / "audit-head"
    else:
        return None
    repository = base_dir if base_dir is not None and (base_dir / ".git").exists() else None
    keeper = HeadKeeper(checkpoint, repository)
    _keepers[store.engine] = keeper
    return keeper


def keeper_of(store: Store) -> HeadKeeper | None:
    return _keepers.get(store.engine)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending is None:
        return
    bind = session.get_bind()
    keeper = _keepers.get(bind if isinstance(bind, Engine) else bind.engine)
    if keeper is None:
        return
    try:
        keeper.record(*pending)
    except OSError as e:  # the events are committed; verify will say they are not covered
        log.warning("could not keep the audit head at %s: %s", keeper.checkpoint, e)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def check_heads(store: Store) -> Judgement:
    """The store's chain against every head kept for it (the file and the git ref)."""
    keeper = keeper_of(store)
    if keeper is None:
        return Judgement((), ("no signed head is kept for this store",))
    key = keeper.key()
    with store.transaction() as session:
        last_seq = session.execute(select(func.max(AuditEventRow.seq))).scalar() or 0

        def hash_at(seq: int) -> str | None:
            found = session.execute(select(AuditEventRow.hash).where(AuditEventRow.seq == seq))
            return found.scalar()

        kept = {"checkpoint " + keeper.checkpoint.name: keeper.read_file(), REF: keeper.read_ref()}
        problems: list[str] = []
        notes: list[str] = []
        for where, head in kept.items():
            if head is None and (where == REF or (key is None and not last_seq)):
                continue  # no ref yet, or a store that never had events nor a key
            if head is None and key is None:
                notes.append(f"{where}: no signed head; a deleted tail cannot be detected")
                continue
            judgement = judge(where, head, key, last_seq, hash_at(head.seq) if head else None)
            problems += judgement.problems
            notes += judgement.notes
    return Judgement(tuple(problems), tuple(dict.fromkeys(notes)))
