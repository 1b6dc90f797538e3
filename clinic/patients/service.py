"""Patient use cases: one function per use case, each in the request's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import ColumnElement

from clinic.core import audit
from clinic.core.changes import CREATED, DELETED, UPDATED, record_change
from clinic.core.errors import conflict, not_found
from clinic.core.etag import require_if_match
from clinic.core.models import utcnow
from clinic.core.pagination import Keyset, Page
from clinic.core.search import prefix_search
from clinic.extensions import db
from clinic.patients.models import Patient, PatientIdentifier

RESOURCE = "patient"
SIMPLE_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "email",
    "phone",
    "running_profile",
)
UPSERT_ATTEMPTS = 3


def _identifier_conflict() -> Exception:
    return conflict(
        "An identifier in the request already belongs to another patient of this clinic.",
        errors={"identifiers": ["(system, value) already in use."]},
    )


def _apply(patient: Patient, data: dict[str, Any]) -> None:
    for field in SIMPLE_FIELDS:
        if field in data:
            setattr(patient, field, data[field])
    patient.given_name_key = patient.given_name.strip().lower()
    patient.family_name_key = patient.family_name.strip().lower()
    if "identifiers" in data:
        wanted = {(i["system"], i["value"]) for i in data["identifiers"]}
        kept = [i for i in patient.identifiers if (i.system, i.value) in wanted]
        have = {(i.system, i.value) for i in kept}
        kept += [
            PatientIdentifier(clinic_id=patient.clinic_id, system=system, value=value)
            for system, value in sorted(wanted - have)
        ]
        patient.identifiers = kept
    # Bumps updated_at (and with it the version) even when only identifiers changed.
    patient.updated_at = utcnow()


# Built once (statement construction costs as much as its execution) and with the
# identifiers joined: one round trip for the read every screen starts with.
_FIND = (
    select(Patient)
    .options(joinedload(Patient.identifiers))
    .where(Patient.archived_at.is_(None), Patient.id == bindparam("patient_id"))
)


def find_patient(patient_id: uuid.UUID) -> Patient:
    """A patient of the caller's clinic that is not archived, or 404."""
    patient = db.session.scalars(_FIND, {"patient_id": patient_id}).unique().one_or_none()
    if patient is None:
        raise not_found("patient")
    return patient


def create_patient(clinic_id: uuid.UUID, data: dict[str, Any]) -> Patient:
    patient = Patient(clinic_id=clinic_id, identifiers=[])
    _apply(patient, {"identifiers": [], **data})
    db.session.add(patient)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise _identifier_conflict() from exc
    record_change(db.session, clinic_id, RESOURCE, patient.id, CREATED, patient.version)
    audit.record("create", RESOURCE, patient.id, patient.id)
    return patient


def read_patient(patient_id: uuid.UUID) -> Patient:
    patient = find_patient(patient_id)
    audit.record("read", RESOURCE, patient.id, patient.id)
    return patient


def list_patients(
    *,
    q: str | None,
    identifier: dict[str, str] | None,
    updated_since: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page:
    filters: list[ColumnElement[bool]] = [Patient.archived_at.is_(None)]
    if identifier:
        filters.append(
            Patient.id.in_(
                select(PatientIdentifier.patient_id).where(
                    PatientIdentifier.system == identifier["system"],
                    PatientIdentifier.value == identifier["value"],
                )
            )
        )
    if updated_since is not None:
        # Sync clients page in change order.
        filters.append(Patient.updated_at >= updated_since)
        order_name = "patients.updated"
        order: list[Any] = [Patient.updated_at, Patient.id]
    else:
        order_name = "patients.name"
        order = [Patient.family_name_key, Patient.given_name_key, Patient.id]
    keyset = Keyset.of(order_name, len(order), cursor, limit)
    statement = select(Patient).where(*filters)
    words = q.lower().split() if q else []
    if words:
        # Every word starts the family or the given name: the page's candidates
        # are found by index ranges, as keys, and only they are read whole.
        found = prefix_search(
            select(*order).where(*filters),
            words,
            Patient.family_name_key,
            Patient.given_name_key,
            keyset,
            order,
            db.session,
        )
        statement = select(Patient).join(found, Patient.id == found.c.id)
        order = [found.c[column.key] for column in order]
    page = keyset.fetch(statement, order, db.session)
    audit.record_many("list", RESOURCE, ((p.id, p.id) for p in page.items))
    return page


def update_patient(patient_id: uuid.UUID, changes: dict[str, Any]) -> Patient:
    patient = find_patient(patient_id)
    require_if_match(patient.version)
    _apply(patient, changes)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise _identifier_conflict() from exc
    record_change(db.session, patient.clinic_id, RESOURCE, patient.id, UPDATED, patient.version)
    audit.record("update", RESOURCE, patient.id, patient.id)
    return patient


def archive_patient(patient_id: uuid.UUID) -> None:
    patient = find_patient(patient_id)
    require_if_match(patient.version)
    patient.archived_at = utcnow()
    patient.updated_at = patient.archived_at
    db.session.flush()
    record_change(db.session, patient.clinic_id, RESOURCE, patient.id, DELETED, patient.version)
    audit.record("delete", RESOURCE, patient.id, patient.id)


def _by_identifier(system: str, value: str) -> Patient | None:
    return db.session.scalars(
        select(Patient)
        .join(PatientIdentifier, PatientIdentifier.patient_id == Patient.id)
        .where(and_(PatientIdentifier.system == system, PatientIdentifier.value == value))
        # Concurrent upserts of one patient queue here instead of failing on the version.
        .with_for_update(of=Patient)
        .execution_options(populate_existing=True)
    ).one_or_none()


def upsert_by_identifier(
    clinic_id: uuid.UUID, system: str, value: str, data: dict[str, Any], check_if_match: bool
) -> tuple[Patient, bool]:
    """Create or replace the patient holding (system, value); True when created.

    Concurrent upserts of one identifier race on the unique constraint: the
    loser's savepoint rolls back and it retries as an update of the winner's
    row (locked, so updaters queue), so N parallel requests leave exactly one
    patient.
    """
    identifiers = list(data.get("identifiers") or [])
    if {"system": system, "value": value} not in identifiers:
        identifiers.append({"system": system, "value": value})
    data = {**data, "identifiers": identifiers}
    for _ in range(UPSERT_ATTEMPTS):
        try:
            with db.session.begin_nested():
                patient = _by_identifier(system, value)
                created = patient is None
                if patient is None:
                    patient = Patient(clinic_id=clinic_id, identifiers=[])
                    db.session.add(patient)
                elif patient.archived_at is not None:
                    raise conflict("The patient with this identifier is archived.")
                elif check_if_match:
                    require_if_match(patient.version)
                full = {field: data.get(field) for field in SIMPLE_FIELDS}
                _apply(patient, {**full, "identifiers": data["identifiers"]})
                db.session.flush()
        except (IntegrityError, StaleDataError):
            continue
        action = CREATED if created else UPDATED
        record_change(db.session, clinic_id, RESOURCE, patient.id, action, patient.version)
        audit.record("create" if created else "update", RESOURCE, patient.id, patient.id)
        return patient, created
    raise _identifier_conflict()
