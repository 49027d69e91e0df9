"""Persistence: SQLAlchemy 2 models, Alembic migrations, SQLite by default, PostgreSQL by URL."""

from trainmaster.store.db import Store, open_store

__all__ = ["Store", "open_store"]
