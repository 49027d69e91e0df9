"""Personal API tokens (table `web_tokens`, migration 17_web_tokens): issued once, stored as a
SHA-256 hash, looked up by that hash, revocable, optionally expiring.

A token is 32 random bytes: too much entropy for a slow password hash to add anything, so a
plain digest is enough to make a stolen table useless."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from trainmaster.audit.log import append_event
from trainmaster.errors import UsageError
from trainmaster.store import Store
from trainmaster.store.models import Base

PREFIX = "tmk_"
MAX_NAME = 128
MAX_DAYS = 366


class TokenRow(Base):
    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    owner: Mapped[str] = mapped_column(String(255), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    owner: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked": self.revoked_at is not None,
        }


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > MAX_NAME or not clean.isprintable():
        raise UsageError(f"token name: 1 to {MAX_NAME} printable characters, got {name!r}")
    return clean


def create_token(
    store: Store, owner: str, name: str, now: datetime, days: int | None = None
) -> tuple[str, TokenInfo]:
    """The secret (shown once, never stored) and what is kept of it. Audited as token.create."""
    clean = check_name(name)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise UsageError(f"--expires-days: 1 to {MAX_DAYS}, got {days}")
    secret = PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days) if days else None
    row = TokenRow(
        name=clean,
        owner=owner,
        prefix=secret[:12],
        hash=digest(secret),
        created_at=now,
        expires_at=expires,
    )
    with store.transaction() as session:
        session.add(row)
        session.flush()
        append_event(
            session,
            actor=owner,
            action="token.create",
            target=f"token/{row.id}",
            payload={"name": clean, "prefix": row.prefix, "expires_at": _iso(expires)},
        )
        return secret, _info(row)


def list_tokens(store: Store, owner: str | None = None) -> list[TokenInfo]:
    query = select(TokenRow).order_by(TokenRow.id)
    if owner is not None:
        query = query.where(TokenRow.owner == owner)
    with store.transaction() as session:
        return [_info(row) for row in session.execute(query).scalars()]


def revoke_token(store: Store, token_id: int, actor: str, now: datetime) -> TokenInfo:
    """Revoke one of the actor's tokens (idempotent: revoking twice changes nothing more)."""
    with store.transaction() as session:
        row = session.get(TokenRow, token_id)
        if row is None or row.owner != actor:
            raise UsageError(f"no token {token_id} belongs to {actor}")
        if row.revoked_at is None:
            row.revoked_at = now
            append_event(
                session,
                actor=actor,
                action="token.revoke",
                target=f"token/{row.id}",
                payload={"name": row.name, "prefix": row.prefix},
            )
        return _info(row)


def owner_of(store: Store, secret: str, now: datetime) -> str | None:
    """Who a presented token belongs to, or None when it is unknown, revoked or expired."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    with store.transaction() as session:
        row = _by_hash(session, digest(secret))
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and _aware(row.expires_at) <= now:
            return None
        row.last_used_at = now
        return row.owner


def _by_hash(session: Session, hashed: str) -> TokenRow | None:
    return session.execute(select(TokenRow).where(TokenRow.hash == hashed)).scalar_one_or_none()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        owner=row.owner,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
