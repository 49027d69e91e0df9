"""Opening a store: engine, sessions, and keeping the schema at the newest migration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from trainmaster.errors import StoreError, UsageError

MIGRATIONS = Path(__file__).parent / "migrations"


class Store:
    """One database. Sessions are short transactions; `transaction()` commits or rolls back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as e:
            raise StoreError(f"store error: {_short(e)}", temporary=True) from e
        finally:
            session.close()

    def upgrade(self) -> None:
        from alembic import command

        with self.engine.begin() as connection:
            config = _alembic_config(connection)
            command.upgrade(config, "heads")

    def is_current(self) -> bool:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        script = ScriptDirectory.from_config(_alembic_config(None))
        return current == set(script.get_heads())

    def dispose(self) -> None:
        self.engine.dispose()


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _short(error: Exception) -> str:
    return str(error).splitlines()[0][:300]


def resolve_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path relative to the policy file's folder."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_absolute():
            path = base_dir / path
        _private_file(path)
        return str(parsed.set(database=str(path)))
    if parsed.drivername in ("postgresql", "postgres"):
        return str(parsed.set(drivername="postgresql+psycopg"))
    return url


def _private_file(path: Path) -> None:
    """Create the SQLite file 0600 (its folder 0700 when we make it) before SQLite opens it:
    SQLite gives its -wal and -shm files the database file's mode, so the whole store is
    private. An existing file's mode is the owner's choice and is left alone."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    with suppress(FileExistsError):  # another process made it first, or it was there
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def open_store(url: str, base_dir: Path | None = None, *, upgrade: bool | None = None) -> Store:
    """Open the store at `url`. An SQLite store is created and upgraded on first use;
    a PostgreSQL store must be upgraded with `trainmaster db upgrade`."""
    try:
        resolved = resolve_url(url, base_dir or Path.cwd())
        engine = _engine(resolved)
    except (SQLAlchemyError, ValueError, ImportError) as e:
        raise UsageError(f"store.url: cannot open {make_url(url)!r}: {_short(e)}") from e
    store = Store(engine)
    from trainmaster.audit.checkpoint import keep_heads  # the audit head, kept outside the store

    keep_heads(store, resolved, base_dir)
    embedded = engine.dialect.name == "sqlite"
    try:
        if upgrade or (upgrade is None and embedded):
            store.upgrade()
        elif upgrade is None and not store.is_current():
            raise UsageError(
                f"the store at {make_url(url)!r} is not migrated: run `trainmaster db upgrade`"
            )
    except SQLAlchemyError as e:
        raise StoreError(f"store error: {_short(e)}") from e
    return store


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _serialize_sqlite_writers(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _serialize_sqlite_writers(engine: Engine) -> None:
    """SQLite: take the write lock at BEGIN so read-then-write transactions never interleave."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
