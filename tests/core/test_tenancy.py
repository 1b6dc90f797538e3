"""Tenancy is enforced by the session itself, not by each query remembering it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite

from clinic.core.tenancy import TenancyError, all_clinics, set_clinic, unselective
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


def _plans_of_selects(app, run):
    """(sql, SQLite's query plan) of every SELECT ``run`` sends."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    connection = db.session.connection()
    return [
        (
            sql,
            " / ".join(
                row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            ),
        )
        for sql, params in captured
    ]


def test_the_clinic_criterion_does_not_steal_the_index_on_sqlite(app, world, factory):
    """Without statistics SQLite took ``clinic_id = ?`` as selective and walked the clinic."""
    for n in range(3):
        factory.patient(world.clinic_id, identifiers=[{"system": "s", "value": f"v{n}"}])
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL plans by its statistics")
        set_clinic(db.session, world.clinic_id)
        plans = _plans_of_selects(
            app,
            lambda: [p.identifiers for p in db.session.scalars(select(Patient).limit(5))],
        )
        by_table = {sql.split("FROM", 1)[1].split()[0]: plan for sql, plan in plans}
        assert "ix_patient_identifiers_patient_id (patient_id=?)" in by_table["patient_identifiers"]
        assert "likely(patient_identifiers.clinic_id = ?)" in plans[1][0]
        # Still bounds an index that starts with clinic_id where nothing else does.
        assert (
            "ix_patients_clinic_name (clinic_id=?)"
            in _plans_of_selects(
                app,
                lambda: db.session.scalars(
                    select(Patient.id).order_by(
                        Patient.family_name_key, Patient.given_name_key, Patient.id
                    )
                ).all(),
            )[0][1]
        )


def test_the_clinic_criterion_is_a_plain_comparison_on_postgresql(app):
    statement = select(Patient.id).where(unselective(Patient.clinic_id == uuid.uuid4()))
    assert "likely" not in str(statement.compile(dialect=postgresql.dialect()))
    assert "likely(patients.clinic_id = ?)" in str(statement.compile(dialect=sqlite.dialect()))
