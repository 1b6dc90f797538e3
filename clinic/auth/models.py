from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, utcnow


class AccessToken(IdMixin, ClinicOwnedMixin, Base):
    """An opaque bearer token; only its keyed hash is stored."""

    __tablename__ = "access_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class LoginFailure(IdMixin, Base):
    """A failed login, counted per account and per client address for throttling.

    The account is kept as a keyed hash: failed attempts name emails that may
    belong to no one, and those are not ours to store.
    """

    __tablename__ = "login_failures"

    account_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_address: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
