from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.core.models import (
    Base,
    ClinicOwnedMixin,
    IdMixin,
    TimestampMixin,
    VersionedMixin,
    utcnow,
)


class Episode(IdMixin, ClinicOwnedMixin, VersionedMixin, TimestampMixin, Base):
    """An episode of care: one complaint from intake to discharge."""

    __tablename__ = "episodes"
    __table_args__ = (
        Index("ix_episodes_clinic_patient", "clinic_id", "patient_id", "created_at", "id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    title: Mapped[str] = mapped_column(String(200))
    side: Mapped[str] = mapped_column(String(10))
    onset_date: Mapped[date | None]
    history: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="intake")
    # The state an on_hold episode resumes to.
    held_from: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None]

    diagnoses: Mapped[list[Diagnosis]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Diagnosis.position"
    )


class Diagnosis(IdMixin, ClinicOwnedMixin, Base):
    """A working diagnosis with its side (a FHIR Condition)."""

    __tablename__ = "episode_diagnoses"

    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Transition(IdMixin, ClinicOwnedMixin, Base):
    """Every workflow move, who made it, when and why (append-only)."""

    __tablename__ = "episode_transitions"
    __table_args__ = (Index("ix_episode_transitions_episode", "episode_id", "occurred_at"),)

    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[uuid.UUID]
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
