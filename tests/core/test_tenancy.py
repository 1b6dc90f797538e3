"""Tenancy is enforced by the session itself, not by each query remembering it."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

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


def _selects_sent(run):
    """(sql, parameters) of every SELECT ``run`` sends."""
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
    return captured


def _sqlite_plans_by_table(run):
    """{table after FROM: (sql, SQLite's query plan)} of the SELECTs ``run`` sends."""
    connection = db.session.connection()
    plans = {}
    for sql, params in _selects_sent(run):
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        plans[sql.split("FROM", 1)[1].split()[0]] = (sql, " / ".join(row[3] for row in rows))
    return plans


def _load_with_identifiers():
    return [p.identifiers for p in db.session.scalars(select(Patient).limit(5))]


def test_the_clinic_criterion_does_not_steal_the_index_on_sqlite(app, world, factory):
    """Without statistics SQLite took ``clinic_id = ?`` as selective and walked the clinic."""
    for n in range(3):
        factory.patient(world.clinic_id, identifiers=[{"system": "s", "value": f"v{n}"}])
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL plans by its statistics")
        set_clinic(db.session, world.clinic_id)
        sql, plan = _sqlite_plans_by_table(_load_with_identifiers)["patient_identifiers"]
        assert "ix_patient_identifiers_patient_id (patient_id=?)" in plan
        assert "likely(patient_identifiers.clinic_id = ?)" in sql
        # Still bounds an index that starts with clinic_id where nothing else does.
        _, plan = _sqlite_plans_by_table(
            lambda: db.session.scalars(
                select(Patient.id).order_by(
                    Patient.family_name_key, Patient.given_name_key, Patient.id
                )
            ).all()
        )["patients"]
        assert "ix_patients_clinic_name (clinic_id=?)" in plan


def test_only_sqlite_gets_likely_and_the_scope_holds_either_way(app, world, factory):
    ours = factory.patient(world.clinic_id, identifiers=[{"system": "s", "value": "ours"}])
    factory.patient(world.other_clinic_id, identifiers=[{"system": "s", "value": "theirs"}])
    with app.app_context():
        set_clinic(db.session, world.clinic_id)
        loaded = []
        sent = _selects_sent(lambda: loaded.extend(_load_with_identifiers()))
        on_sqlite = db.engine.dialect.name == "sqlite"
        for table in ("patients", "patient_identifiers"):
            (sql,) = [s for s, _ in sent if s.split("FROM", 1)[1].split()[0] == table]
            assert (f"likely({table}.clinic_id = " in sql) is on_sqlite
            assert f"{table}.clinic_id = " in sql
        found = [(i.patient_id, i.value) for identifiers in loaded for i in identifiers]
        assert found == [(ours, "ours")]
