from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, TimestampMixin, VersionedMixin


class Goal(IdMixin, ClinicOwnedMixin, VersionedMixin, TimestampMixin, Base):
    """A SMART goal of an episode; statuses follow FHIR Goal."""

    __tablename__ = "goals"
    __table_args__ = (
        Index("ix_goals_clinic_episode", "clinic_id", "episode_id", "created_at", "id"),
    )

    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    term: Mapped[str] = mapped_column(String(10))  # short or long
    description: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(60))
    side: Mapped[str | None] = mapped_column(String(10))
    baseline_value: Mapped[float]
    target_value: Mapped[float]
    comparator: Mapped[str] = mapped_column(String(2))
    unit: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[date]
    due_date: Mapped[date]
    rationale: Mapped[str] = mapped_column(Text)
    parent_goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("goals.id"))
    # FHIR goal-status: proposed, active, on-hold, completed, cancelled
    lifecycle_status: Mapped[str] = mapped_column(String(20))
    # FHIR goal-achievement: in-progress, improving, worsening, no-change, achieved, not-achieved
    achievement_status: Mapped[str] = mapped_column(String(20))
    current_value: Mapped[float | None]
    progress_percent: Mapped[float | None]
    evaluated_at: Mapped[datetime | None]
