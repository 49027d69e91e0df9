"""GitHub App webhook deliveries: one row per X-GitHub-Delivery, stored before processing.

Revision ID: 18_github_deliveries
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "18_github_deliveries"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "github_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery", sa.String(64), nullable=False, unique=True),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("installation", sa.BigInteger),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("happened_at", TZ),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("processed_at", TZ),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_github_deliveries_subject", "github_deliveries", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_github_deliveries_subject", "github_deliveries")
    op.drop_table("github_deliveries")
