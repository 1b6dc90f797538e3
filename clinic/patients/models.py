from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, TimestampMixin, VersionedMixin
from clinic.core.search import byte_order_index


class Patient(IdMixin, ClinicOwnedMixin, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "patients"
    __table_args__ = (
        # The default list order and name search (prefix match) are range scans here.
        Index("ix_patients_clinic_name", "clinic_id", "family_name_key", "given_name_key", "id"),
        # Covers what name search sorts the given-name matches by (clinic/core/search.py).
        Index(
            "ix_patients_clinic_given",
            "clinic_id",
            "given_name_key",
            "family_name_key",
            "id",
            "archived_at",
        ),
        Index("ix_patients_clinic_updated", "clinic_id", "updated_at", "id"),
        # Name search compares in byte order (clinic/core/search.py): on SQLite that
        # is the default order, which ix_patients_clinic_name and _given serve; on
        # PostgreSQL it is COLLATE "C", which only these serve (created there only).
        byte_order_index("ix_patients_clinic_family_prefix", "clinic_id", "family_name_key"),
        byte_order_index("ix_patients_clinic_given_prefix", "clinic_id", "given_name_key"),
    )

    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    # Lower-cased copies of the names: index-friendly sorting and search on every database.
    given_name_key: Mapped[str] = mapped_column(String(100))
    family_name_key: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    running_profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    archived_at: Mapped[datetime | None]

    # No ORDER BY in the load: SQLite then picks the clinic-wide unique index and
    # scans every identifier of the clinic (measured by make bench). A patient has
    # at most 20, so they are sorted here instead.
    identifiers: Mapped[list[PatientIdentifier]] = relationship(
        back_populates="patient", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def sorted_identifiers(self) -> list[PatientIdentifier]:
        return sorted(self.identifiers, key=lambda i: (i.system, i.value))


class PatientIdentifier(IdMixin, ClinicOwnedMixin, Base):
    """An external identifier (system, value), unique within a clinic."""

    __tablename__ = "patient_identifiers"
    __table_args__ = (UniqueConstraint("clinic_id", "system", "value"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    system: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(200))

    patient: Mapped[Patient] = relationship(back_populates="identifiers")
