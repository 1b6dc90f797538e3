"""The change feed: thin, in commit order, tombstones, and a cursor that never skips."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from clinic.core.changes import CREATED, Change, record_change
from clinic.core.tenancy import all_clinics, set_clinic
from clinic.extensions import db
from clinic.patients.models import Patient

NEW = {"given_name": "Fay", "family_name": "Feed", "birth_date": "1985-03-04", "sex": "female"}


@pytest.fixture
def reader(client, world):
    response = client.post(
        "/api/v1/api-clients",
        json={"name": "sync", "scopes": ["changes:read"]},
        headers=world.admin.headers,
    )
    return {"Authorization": f"Bearer {response.json['key']}"}


def read_all(client, headers, cursor=None):
    items = []
    while True:
        url = "/api/v1/changes?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).json
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor


def test_feed_lists_creates_updates_and_tombstones_without_clinical_content(client, world, reader):
    created = client.post("/api/v1/patients", json=NEW, headers=world.clinician.headers).json
    client.patch(
        f"/api/v1/patients/{created['id']}",
        json={"given_name": "Faye"},
        headers={**world.clinician.headers, "If-Match": '"1"'},
    )
    client.delete(
        f"/api/v1/patients/{created['id']}",
        headers={**world.clinician.headers, "If-Match": '"2"'},
    )
    items, _ = read_all(client, reader)
    mine = [i for i in items if i["resource_id"] == created["id"]]
    assert [(i["action"], i["version"]) for i in mine] == [
        ("created", 1),
        ("updated", 2),
        ("deleted", 3),
    ]
    assert set(mine[0]) == {
        "seq",
        "resource_type",
        "resource_id",
        "action",
        "version",
        "changed_at",
    }
    assert "Fay" not in str(items)


def test_cursor_resumes_after_the_last_change_and_is_kept_at_the_end(client, world, reader):
    client.post("/api/v1/patients", json=NEW, headers=world.clinician.headers)
    first, cursor = read_all(client, reader)
    assert len(first) == 1
    again = client.get(f"/api/v1/changes?cursor={cursor}", headers=reader).json
    assert again["items"] == [] and again["next_cursor"] == cursor and again["has_more"] is False
    client.post(
        "/api/v1/patients", json={**NEW, "given_name": "Gus"}, headers=world.clinician.headers
    )
    later, _ = read_all(client, reader, cursor)
    assert len(later) == 1 and later[0]["seq"] != first[0]["seq"]


def test_feed_is_per_clinic(client, world, reader):
    client.post("/api/v1/patients", json=NEW, headers=world.other_admin.headers)
    items, _ = read_all(client, reader)
    assert items == []


def test_feed_needs_the_changes_scope(client, world):
    key = client.post(
        "/api/v1/api-clients",
        json={"name": "x", "scopes": ["patients:read"]},
        headers=world.admin.headers,
    ).json["key"]
    response = client.get("/api/v1/changes", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    assert client.get("/api/v1/changes", headers=world.clinician.headers).status_code == 403
    assert client.get("/api/v1/changes", headers=world.admin.headers).status_code == 200


def test_a_bad_cursor_is_422(client, reader):
    response = client.get("/api/v1/changes?cursor=nonsense", headers=reader)
    assert response.status_code == 422
    assert "cursor" in response.json["errors"]


def test_reader_sees_every_change_exactly_once_under_concurrent_writers(app, client, world, reader):
    """A transaction that commits after later ones must not be skipped."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers need PostgreSQL")
    long_started = threading.Event()
    writers_done = threading.Event()
    errors: list[BaseException] = []

    def long_transaction() -> None:
        try:
            with app.app_context():
                session = db.session
                set_clinic(session, world.clinic_id)
                patient = Patient(
                    clinic_id=world.clinic_id,
                    given_name="Slow",
                    family_name="Writer",
                    given_name_key="slow",
                    family_name_key="writer",
                    birth_date=date(1980, 1, 1),
                    sex="male",
                    identifiers=[],
                )
                session.add(patient)
                session.flush()
                record_change(session, world.clinic_id, "patient", patient.id, CREATED, 1)
                session.flush()  # seq and txid taken now, before the others
                long_started.set()
                writers_done.wait(timeout=30)
                time.sleep(0.2)  # a reader poll lands while this is still open
                session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
            long_started.set()

    def writer(n: int) -> None:
        local = app.test_client()
        for i in range(5):
            response = local.post(
                "/api/v1/patients",
                json={**NEW, "given_name": f"W{n}x{i}"},
                headers=world.clinician.headers,
            )
            if response.status_code != 201:
                errors.append(AssertionError(response.json))

    slow = threading.Thread(target=long_transaction)
    slow.start()
    long_started.wait(timeout=30)
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in writers:
        thread.start()

    seen: list[dict] = []
    cursor = None
    polls = 0
    while any(t.is_alive() for t in writers) or polls < 3:
        batch, cursor = read_all(client, reader, cursor)
        seen += batch
        polls += 1
        time.sleep(0.02)
    writers_done.set()
    slow.join(timeout=30)
    assert not errors, errors
    batch, cursor = read_all(client, reader, cursor)
    seen += batch

    with app.app_context(), all_clinics(db.session):
        expected = set(
            db.session.scalars(select(Change.seq).where(Change.clinic_id == world.clinic_id))
        )
    seqs = [item["seq"] for item in seen]
    assert len(seqs) == len(set(seqs)), "a change was delivered twice"
    assert set(seqs) == expected, "a change was skipped"
    assert len(expected) == 21  # 20 by the writers and the slow one
    slow_id = next(i for i in seen if i["seq"] == min(expected))
    assert uuid.UUID(slow_id["resource_id"])


def test_a_feed_page_costs_the_same_statements_for_few_or_many_changes(
    client, world, reader, factory, count_statements, app
):
    def statements(expected: int) -> int:
        client.get("/api/v1/changes?limit=200", headers=reader)
        with count_statements() as counter:
            page = client.get("/api/v1/changes?limit=200", headers=reader).json
        assert len(page["items"]) == expected
        return len(list(counter.statements))

    def add(n: int) -> None:
        with app.app_context(), all_clinics(db.session):
            for _ in range(n):
                record_change(db.session, world.clinic_id, "patient", uuid.uuid4(), CREATED, 1)
            db.session.commit()

    add(5)
    few = statements(5)
    add(95)
    assert statements(100) == few
