"""GitHub ETag cache: conditional GETs survive between runs.

Revision ID: 0003_github_etags
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_github_etags"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "github_etags",
        sa.Column("key", sa.String(1024), primary_key=True),
        sa.Column("etag", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("github_etags")
