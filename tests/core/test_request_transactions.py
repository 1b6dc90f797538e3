"""How a request uses transactions: reads apart from bookkeeping on SQLite, deferred touches."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text, update

from clinic.auth.models import AccessToken
from clinic.core import database
from clinic.core.audit import AuditEvent
from clinic.core.models import utcnow
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.patients.models import Patient


def _on_sqlite(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"


@pytest.fixture
def sqlite_only(app):
    if not _on_sqlite(app):
        pytest.skip("SQLite's locking; PostgreSQL reads and writes in one MVCC transaction")


@pytest.fixture
def every_statement(app):
    """Every statement sent, BEGIN included, in order."""
    sent: list[str] = []

    def listener(conn, cursor, statement, *args):
        sent.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    yield sent
    event.remove(engine, "before_cursor_execute", listener)


def _audit_rows(app, patient_id) -> int:
    with app.app_context(), all_clinics(db.session):
        return len(
            db.session.scalars(select(AuditEvent).where(AuditEvent.patient_id == patient_id)).all()
        )


def test_a_read_reads_without_the_write_lock_and_audits_in_a_short_write(
    sqlite_only, client, world, every_statement
):
    response = client.get(f"/api/v1/patients/{world.patient_id}", headers=world.clinician.headers)

    assert response.status_code == 200
    begins = [i for i, s in enumerate(every_statement) if s.startswith("BEGIN")]
    assert [every_statement[i] for i in begins] == ["BEGIN", "BEGIN IMMEDIATE"]
    reads, bookkeeping = every_statement[: begins[1]], every_statement[begins[1] :]
    assert all(s.startswith(("BEGIN", "SELECT")) for s in reads), reads
    assert any("FROM patients" in s for s in reads)
    assert [s.split(" (")[0] for s in bookkeeping[1:]] == ["INSERT INTO audit_events"]


def test_a_write_takes_the_write_lock_before_it_reads(sqlite_only, client, world, every_statement):
    response = client.post(
        "/api/v1/patients",
        json={
            "given_name": "Ada",
            "family_name": "Byron",
            "birth_date": "1990-01-01",
            "sex": "female",
        },
        headers=world.clinician.headers,
    )

    assert response.status_code == 201
    assert every_statement[0] == "BEGIN IMMEDIATE"
    assert "BEGIN" not in every_statement[1:]  # the change and its audit rows: one transaction


def test_a_read_runs_while_another_process_holds_the_write_lock(
    sqlite_only, app, client, world, database_url, every_statement
):
    """The read's statements run at once; only its audit row waits for the lock."""
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    outcome: dict[str, int] = {}

    def read() -> None:
        path = f"/api/v1/patients/{world.patient_id}"
        outcome["status"] = client.get(path, headers=world.clinician.headers).status_code

    reader = threading.Thread(target=read)
    try:
        reader.start()
        deadline = time.monotonic() + 5
        while not any("FROM patients" in s for s in every_statement):
            assert time.monotonic() < deadline, every_statement
            time.sleep(0.01)
        time.sleep(0.2)
        assert reader.is_alive(), "the audit row was written while another process held the lock"
        assert not any(s.startswith("INSERT INTO audit_events") for s in every_statement)
    finally:
        holder.execute("COMMIT")
        holder.close()
        reader.join(timeout=10)

    assert outcome["status"] == 200
    assert _audit_rows(app, world.patient_id) == 1


def _last_used(app, user_id):
    with app.app_context(), all_clinics(db.session):
        return db.session.scalars(
            select(AccessToken.last_used_at).where(AccessToken.user_id == user_id)
        ).one()


def _set_last_used(app, user_id, value):
    with app.app_context(), all_clinics(db.session):
        db.session.execute(
            update(AccessToken).where(AccessToken.user_id == user_id).values(last_used_at=value)
        )
        db.session.commit()


def test_token_use_is_recorded_after_the_touch_interval_even_on_a_failed_request(
    app, client, world
):
    long_ago = utcnow() - timedelta(minutes=5)
    _set_last_used(app, world.clinician.id, long_ago)

    missing = "/api/v1/patients/00000000-0000-4000-8000-000000000000"
    assert client.get(missing, headers=world.clinician.headers).status_code == 404

    touched = _last_used(app, world.clinician.id)
    assert touched > long_ago + timedelta(minutes=4)


def test_token_use_within_the_interval_writes_nothing_but_the_audit_row(
    client, world, count_statements
):
    path = f"/api/v1/patients/{world.patient_id}"
    client.get(path, headers=world.clinician.headers)  # touched now, if it was due

    with count_statements() as counter:
        assert client.get(path, headers=world.clinician.headers).status_code == 200

    writes = [
        s.split(" ")[0] + " " + s.split(" ")[2]
        for s in counter.statements
        if not s.startswith("SELECT")
    ]
    assert writes == ["INSERT audit_events"]


def test_a_write_in_a_read_request_is_refused_while_testing(app):
    with app.app_context():
        database.start_reading(True)
        try:
            with pytest.raises(database.WriteWhileReading):
                db.session.execute(text("DELETE FROM audit_events WHERE 1 = 0"))
        finally:
            db.session.rollback()
            database.start_reading(False)


def _new_patient_body() -> dict[str, str]:
    return {
        "given_name": "Ada",
        "family_name": "Byron",
        "birth_date": "1990-01-01",
        "sex": "female",
    }


def _patients_named_byron(app) -> int:
    with app.app_context(), all_clinics(db.session):
        return len(db.session.scalars(select(Patient).where(Patient.family_name == "Byron")).all())


def test_a_write_waiting_for_the_lock_polls_briefly_and_then_runs(
    sqlite_only, app, client, world, database_url, monkeypatch
):
    """SQLite's busy handler would sleep up to 100 ms at a time; the wait polls instead."""
    pauses: list[float] = []
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    real_sleep = time.sleep
    this_thread = threading.current_thread()

    def sleep(seconds: float) -> None:
        if threading.current_thread() is not this_thread:  # the checkpointer's, say
            return real_sleep(seconds)
        pauses.append(seconds)
        if len(pauses) == 20:  # the holder lets go while the writer waits
            holder.execute("COMMIT")
        real_sleep(seconds)

    monkeypatch.setattr(database.time, "sleep", sleep)
    try:
        response = client.post(
            "/api/v1/patients", json=_new_patient_body(), headers=world.clinician.headers
        )
    finally:
        if holder.in_transaction:
            holder.execute("COMMIT")
        holder.close()

    assert response.status_code == 201, response.get_json()
    assert len(pauses) == 20
    assert pauses[0] == database.LOCK_POLL_FIRST
    assert max(pauses) == database.LOCK_POLL_LONGEST
    assert _patients_named_byron(app) == 1
    with app.app_context():  # the connection goes back to the pool with its busy timeout
        raw = db.engine.raw_connection()
        try:
            timeout = raw.cursor().execute("PRAGMA busy_timeout").fetchone()[0]
        finally:
            raw.close()
    assert timeout == database.BUSY_TIMEOUT_MS


def test_a_write_that_never_gets_the_lock_is_a_503_and_stores_nothing(
    sqlite_only, app, client, world, database_url, monkeypatch
):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 30)
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/api/v1/patients", json=_new_patient_body(), headers=world.clinician.headers
        )
    finally:
        holder.execute("COMMIT")
        holder.close()

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["detail"] == "The database is unavailable; retry shortly."
    assert _patients_named_byron(app) == 0
