from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, utcnow


class ApiClient(IdMixin, ClinicOwnedMixin, Base):
    """A practice-management system (or other integration) acting for one clinic."""

    __tablename__ = "api_clients"
    __table_args__ = (Index("ix_api_clients_clinic_created", "clinic_id", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    keys: Mapped[list[ApiKey]] = relationship(lazy="selectin", order_by="ApiKey.created_at")


class ApiKey(IdMixin, ClinicOwnedMixin, Base):
    """A client's secret, stored as a keyed hash; two may be live at once for rotation."""

    __tablename__ = "api_keys"

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
