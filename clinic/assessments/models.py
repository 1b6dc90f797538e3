from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, TimestampMixin, VersionedMixin

DRAFT = "draft"
FINAL = "final"


class Assessment(IdMixin, ClinicOwnedMixin, VersionedMixin, TimestampMixin, Base):
    """An objective exam. Its parts are kept as the validated JSON clients send.

    A finalised assessment never changes; a correction is a new assessment
    naming it in ``amends_id``, and finalising that one sets ``superseded_by_id``.
    """

    __tablename__ = "assessments"
    __table_args__ = (
        Index("ix_assessments_clinic_episode", "clinic_id", "episode_id", "performed_at", "id"),
    )

    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("episodes.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    performed_at: Mapped[datetime]
    clinician_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    amends_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"))
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[uuid.UUID | None]
    finalized_at: Mapped[datetime | None]
    finalized_by: Mapped[uuid.UUID | None]
