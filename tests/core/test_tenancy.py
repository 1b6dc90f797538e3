"""Tenancy is enforced by the session itself, not by each query remembering it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clinic.core.tenancy import TenancyError, all_clinics, set_clinic
from clinic.extensions import db
from clinic.patients.models import Patient, PatientIdentifier


def test_query_on_clinic_data_without_a_clinic_raises(app, world):
    with app.app_context(), pytest.raises(TenancyError):
        db.session.scalars(select(Patient)).all()


def test_scoped_session_sees_only_its_clinic_even_by_primary_key(app, world):
    with app.app_context():
        set_clinic(db.session, world.clinic_id)
        ids = set(db.session.scalars(select(Patient.id)))
        assert ids == {world.patient_id}
        assert db.session.get(Patient, world.other_patient_id) is None


def test_joins_are_scoped_too(app, world, factory):
    factory.patient(world.other_clinic_id, identifiers=[{"system": "s", "value": "1"}])
    with app.app_context():
        set_clinic(db.session, world.clinic_id)
        rows = db.session.scalars(
            select(Patient).join(PatientIdentifier).where(PatientIdentifier.value == "1")
        ).all()
        assert rows == []


def test_writing_a_row_for_another_clinic_raises(app, world):
    with app.app_context():
        set_clinic(db.session, world.clinic_id)
        patient = db.session.get(Patient, world.patient_id)
        patient.clinic_id = world.other_clinic_id
        with pytest.raises(TenancyError):
            db.session.flush()
        db.session.rollback()


def test_operator_context_sees_every_clinic(app, world):
    with app.app_context(), all_clinics(db.session):
        ids = set(db.session.scalars(select(Patient.id)))
    assert ids == {world.patient_id, world.other_patient_id}
