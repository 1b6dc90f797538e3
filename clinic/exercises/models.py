from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, utcnow


class Exercise(IdMixin, ClinicOwnedMixin, Base):
    """An exercise of the clinic's catalogue: seeded from the article, or the clinic's own."""

    __tablename__ = "exercises"
    __table_args__ = (
        UniqueConstraint("clinic_id", "slug"),
        Index("ix_exercises_clinic_category_name", "clinic_id", "category", "name"),
    )

    # Stable key of a seeded exercise (idempotent seeding); null for the clinic's own.
    slug: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    target_muscles: Mapped[list[str]] = mapped_column(JSON, default=list)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    instructions: Mapped[str] = mapped_column(Text)
    default_sets: Mapped[int]
    default_reps: Mapped[int | None]
    default_hold_seconds: Mapped[int | None]
    per_side: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
