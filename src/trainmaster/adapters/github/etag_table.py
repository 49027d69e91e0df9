"""The ETag cache table (migration 0003_github_etags)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trainmaster.store.models import Base


class EtagRow(Base):
    __tablename__ = "github_etags"

    key: Mapped[str] = mapped_column(String(1024), primary_key=True)  # request URL
    etag: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # JSON of the last 200 body
