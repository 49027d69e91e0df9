"""Train effects: the intent/completion journal with idempotency keys (crash-safe side effects).

Revision ID: 9_train
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9_train"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "train_effects",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("train_id", sa.String(64), sa.ForeignKey("trains.id"), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_train_effects_pending", "train_effects", ["train_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_train_effects_pending", "train_effects")
    op.drop_table("train_effects")
