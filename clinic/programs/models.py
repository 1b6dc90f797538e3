from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, TimestampMixin, VersionedMixin

DRAFT = "draft"
PUBLISHED = "published"
SUPERSEDED = "superseded"


class Program(IdMixin, ClinicOwnedMixin, VersionedMixin, TimestampMixin, Base):
    """A home exercise program: editable as a draft, frozen once published.

    ``number`` counts the episode's programs (1, 2, ...): the version history.
    Publishing one supersedes the episode's previously published program.
    """

    __tablename__ = "programs"
    __table_args__ = (
        UniqueConstraint("episode_id", "number"),
        Index("ix_programs_clinic_episode", "clinic_id", "episode_id", "number"),
        Index("ix_programs_clinic_patient_status", "clinic_id", "patient_id", "status"),
    )

    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]

    items: Mapped[list[ProgramItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ProgramItem.position"
    )


class ProgramItem(IdMixin, ClinicOwnedMixin, Base):
    __tablename__ = "program_items"

    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    position: Mapped[int]
    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id"))
    sets: Mapped[int]
    reps: Mapped[int | None]
    hold_seconds: Mapped[int | None]
    per_side: Mapped[bool] = mapped_column(Boolean, default=False)
    times_per_day: Mapped[int]
    days_per_week: Mapped[int]
    notes: Mapped[str | None] = mapped_column(String(1000))
