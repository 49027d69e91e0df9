"""Alembic environment: run against the connection the Store hands over."""

from __future__ import annotations

from alembic import context

from trainmaster.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` CLI use without a Store
    raise SystemExit("use `trainmaster db upgrade`")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
