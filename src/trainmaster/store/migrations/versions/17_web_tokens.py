"""Personal API tokens for `trainmaster serve`: stored hashed, revocable.

Revision ID: 17_web_tokens
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "17_web_tokens"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ),
        sa.Column("last_used_at", TZ),
        sa.Column("revoked_at", TZ),
    )
    op.create_index("ix_web_tokens_owner", "web_tokens", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_web_tokens_owner", "web_tokens")
    op.drop_table("web_tokens")
