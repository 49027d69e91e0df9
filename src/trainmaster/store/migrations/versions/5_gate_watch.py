"""Gate watch: the durable state of a post-promotion analysis, so a restart resumes it.

Revision ID: 5_gate_watch
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5_gate_watch"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gate_watches",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("image", sa.String(512), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("deadline", TZ, nullable=False),
        sa.Column("interval_seconds", sa.Float, nullable=False),
        sa.Column("evaluations", sa.Integer, nullable=False),
        sa.Column("last_verdict", sa.String(16)),
        sa.Column("last_evaluated_at", TZ),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_gate_watches_target", "gate_watches", ["stage", "target", "status"])


def downgrade() -> None:
    op.drop_index("ix_gate_watches_target", "gate_watches")
    op.drop_table("gate_watches")
