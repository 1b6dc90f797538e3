from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, utcnow


class PortalInvitation(IdMixin, ClinicOwnedMixin, Base):
    """A one-use, expiring code for a patient to open their app account (stored hashed)."""

    __tablename__ = "portal_invitations"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExerciseLog(IdMixin, ClinicOwnedMixin, Base):
    """A home-program session the patient logged."""

    __tablename__ = "exercise_logs"
    __table_args__ = (
        Index("ix_exercise_logs_clinic_patient_date", "clinic_id", "patient_id", "date", "id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    date: Mapped[date]
    # [{program_item_id, sets_completed}], validated against the program's items.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    pain_nrs: Mapped[int | None]
    rpe: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
