from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import (
    Base,
    ClinicOwnedMixin,
    IdMixin,
    TimestampMixin,
    VersionedMixin,
    utcnow,
)


class RunPlan(IdMixin, ClinicOwnedMixin, Base):
    """The graded walk-run plan of an episode (one per episode)."""

    __tablename__ = "run_plans"

    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"), unique=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    start_date: Mapped[date]
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunLog(IdMixin, ClinicOwnedMixin, VersionedMixin, TimestampMixin, Base):
    """A run the patient logged; ``pain_next_day`` is added the next morning."""

    __tablename__ = "run_logs"
    __table_args__ = (
        Index("ix_run_logs_clinic_patient_date", "clinic_id", "patient_id", "date", "id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    episode_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("episodes.id"), index=True)
    date: Mapped[date]
    phase: Mapped[int | None]
    walk_minutes: Mapped[float | None]
    run_minutes: Mapped[float | None]
    distance_km: Mapped[float | None]
    duration_minutes: Mapped[float | None]
    surface: Mapped[str | None] = mapped_column(String(20))
    pain_before: Mapped[int | None]
    pain_during: Mapped[int]
    pain_next_day: Mapped[int | None]
    rpe: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
