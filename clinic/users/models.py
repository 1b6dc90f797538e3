from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, TimestampMixin


class User(IdMixin, ClinicOwnedMixin, TimestampMixin, Base):
    """A person who logs in: staff (admin, clinician) or a patient."""

    __tablename__ = "users"

    # Unique across clinics: login is by email alone. Stored lower-cased.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"), index=True)
