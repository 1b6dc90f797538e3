"""Patients: create, read, update, archive, search, upsert by identifier."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.patients.models import Patient

NEW_PATIENT = {
    "given_name": "Jo",
    "family_name": "Jogger",
    "birth_date": "1990-05-17",
    "sex": "female",
    "email": "jo@example.org",
    "phone": "+44 20 7946 0000",
    "identifiers": [{"system": "urn:pms:acme", "value": "A-1"}],
    "running_profile": {"weekly_distance_km": 30, "usual_surfaces": ["road"]},
}


def count_patients(app) -> int:
    with app.app_context(), all_clinics(db.session):
        return db.session.scalar(select(func.count()).select_from(Patient))


def changes_for(app, patient_id: str) -> list[tuple[str, int]]:
    with app.app_context(), all_clinics(db.session):
        rows = db.session.execute(
            select(Change.action, Change.version)
            .where(Change.resource_id == uuid.UUID(patient_id))
            .order_by(Change.seq)
        )
        return [tuple(r) for r in rows]


def test_create_returns_the_patient_with_etag_and_location(client, world, app):
    response = client.post("/api/v1/patients", json=NEW_PATIENT, headers=world.clinician.headers)
    assert response.status_code == 201
    body = response.json
    assert body["given_name"] == "Jo" and body["family_name"] == "Jogger"
    assert body["identifiers"] == NEW_PATIENT["identifiers"]
    assert body["running_profile"] == {"weekly_distance_km": 30.0, "usual_surfaces": ["road"]}
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/patients/{body['id']}"
    assert changes_for(app, body["id"]) == [("created", 1)]
    read = client.get(response.headers["Location"], headers=world.clinician.headers)
    assert read.json == body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sex": "robot"}, "sex"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_date": "1850-01-01"}, "birth_date"),
        ({"given_name": ""}, "given_name"),
        ({"family_name": "x" * 101}, "family_name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        (
            {"identifiers": [{"system": "s", "value": "v"}, {"system": "s", "value": "v"}]},
            "identifiers",
        ),
        ({"identifiers": [{"system": "s"}]}, "identifiers.0.value"),
        ({"running_profile": {"runs_per_week": 50}}, "running_profile.runs_per_week"),
        ({"running_profile": {"usual_surfaces": ["lava"]}}, "running_profile.usual_surfaces.0"),
        ({"running_profile": {"shoe_brand": "x"}}, "running_profile.shoe_brand"),
        ({"ssn": "123"}, "ssn"),
    ],
)
def test_invalid_patient_is_refused_naming_the_field_and_nothing_is_stored(
    client, world, app, change, field
):
    before = count_patients(app)
    response = client.post(
        "/api/v1/patients", json={**NEW_PATIENT, **change}, headers=world.clinician.headers
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert count_patients(app) == before


def test_missing_required_fields_are_each_named(client, world):
    response = client.post("/api/v1/patients", json={}, headers=world.clinician.headers)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"given_name", "family_name", "birth_date", "sex"}


def test_identifier_taken_by_another_patient_is_a_conflict(client, world, app):
    first = client.post("/api/v1/patients", json=NEW_PATIENT, headers=world.clinician.headers)
    assert first.status_code == 201
    second = client.post(
        "/api/v1/patients",
        json={**NEW_PATIENT, "given_name": "Other"},
        headers=world.clinician.headers,
    )
    assert second.status_code == 409
    assert "identifiers" in second.json["errors"]
    assert count_patients(app) == 3  # world's two plus the first


def test_same_identifier_may_exist_in_another_clinic(client, world):
    ours = client.post("/api/v1/patients", json=NEW_PATIENT, headers=world.clinician.headers)
    theirs = client.post("/api/v1/patients", json=NEW_PATIENT, headers=world.other_admin.headers)
    assert (ours.status_code, theirs.status_code) == (201, 201)
    assert ours.json["id"] != theirs.json["id"]


def test_patch_needs_if_match_and_refuses_a_stale_one(client, world):
    url = f"/api/v1/patients/{world.patient_id}"
    missing = client.patch(url, json={"given_name": "New"}, headers=world.clinician.headers)
    assert missing.status_code == 428
    stale = client.patch(
        url, json={"given_name": "New"}, headers={**world.clinician.headers, "If-Match": '"7"'}
    )
    assert stale.status_code == 412
    assert client.get(url, headers=world.clinician.headers).json["given_name"] != "New"
    ok = client.patch(
        url, json={"given_name": "New"}, headers={**world.clinician.headers, "If-Match": '"1"'}
    )
    assert ok.status_code == 200
    assert ok.json["given_name"] == "New"
    assert ok.json["version"] == 2
    assert ok.headers["ETag"] == '"2"'
    again = client.patch(
        url, json={"given_name": "Newer"}, headers={**world.clinician.headers, "If-Match": '"1"'}
    )
    assert again.status_code == 412


def test_patch_replaces_identifiers_and_bumps_the_version(client, world, app):
    url = f"/api/v1/patients/{world.patient_id}"
    response = client.patch(
        url,
        json={"identifiers": [{"system": "urn:x", "value": "9"}]},
        headers={**world.clinician.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert response.json["identifiers"] == [{"system": "urn:x", "value": "9"}]
    assert response.json["version"] == 2
    assert changes_for(app, str(world.patient_id)) == [("updated", 2)]


def test_patch_can_clear_optional_fields_but_not_required_ones(client, world):
    url = f"/api/v1/patients/{world.patient_id}"
    headers = {**world.clinician.headers, "If-Match": '"1"'}
    refused = client.patch(url, json={"given_name": None}, headers=headers)
    assert refused.status_code == 422
    assert "given_name" in refused.json["errors"]
    cleared = client.patch(url, json={"email": None, "phone": None}, headers=headers)
    assert cleared.status_code == 200
    assert cleared.json["email"] is None


def test_archive_hides_the_patient_and_leaves_a_tombstone(client, world, app):
    url = f"/api/v1/patients/{world.patient_id}"
    assert client.delete(url, headers=world.clinician.headers).status_code == 428
    response = client.delete(url, headers={**world.clinician.headers, "If-Match": '"1"'})
    assert response.status_code == 204
    assert client.get(url, headers=world.clinician.headers).status_code == 404
    listed = client.get("/api/v1/patients", headers=world.clinician.headers).json["items"]
    assert str(world.patient_id) not in [p["id"] for p in listed]
    assert changes_for(app, str(world.patient_id)) == [("deleted", 2)]
    assert count_patients(app) == 2  # kept


def test_other_clinics_patient_is_not_found_for_every_verb(client, world):
    url = f"/api/v1/patients/{world.other_patient_id}"
    headers = {**world.clinician.headers, "If-Match": '"1"'}
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"given_name": "X"}} if method == "patch" else {}
        response = getattr(client, method)(url, headers=headers, **kwargs)
        assert response.status_code == 404, method
        assert response.json["detail"] == "No such patient."


def test_list_sorts_by_name_and_pages_with_cursor_and_link(client, world, factory):
    for name in ("Charlie", "Alpha", "Bravo"):
        factory.patient(world.clinic_id, family_name=name)
    seen = []
    url = "/api/v1/patients?limit=2"
    while url:
        response = client.get(url, headers=world.clinician.headers)
        assert response.status_code == 200
        seen += [p["family_name"] for p in response.json["items"]]
        cursor = response.json["next_cursor"]
        if cursor:
            assert response.headers["Link"].endswith('>; rel="next"')
            assert f"cursor={cursor}" in response.headers["Link"]
            url = f"/api/v1/patients?limit=2&cursor={cursor}"
        else:
            assert "Link" not in response.headers
            url = None
    assert seen[:3] == ["Alpha", "Bravo", "Charlie"]
    assert len(seen) == 4  # and the world's patient, never another clinic's


def test_search_by_name_prefix_and_by_identifier(client, world, factory):
    factory.patient(world.clinic_id, given_name="Ann", family_name="Smith")
    factory.patient(
        world.clinic_id,
        given_name="Bob",
        family_name="Smithers",
        identifiers=[{"system": "urn:pms", "value": "B|7"}],
    )
    factory.patient(world.other_clinic_id, given_name="Ann", family_name="Smith")
    headers = world.clinician.headers
    by_name = client.get("/api/v1/patients?q=smi", headers=headers).json["items"]
    assert [p["family_name"] for p in by_name] == ["Smith", "Smithers"]
    both_words = client.get("/api/v1/patients?q=ann%20SMI", headers=headers).json["items"]
    assert [p["given_name"] for p in both_words] == ["Ann"]
    by_id = client.get("/api/v1/patients?identifier=urn:pms|B|7", headers=headers).json["items"]
    assert [p["given_name"] for p in by_id] == ["Bob"]
    wildcard = client.get("/api/v1/patients?q=%25", headers=headers).json["items"]
    assert wildcard == []


def test_updated_since_lists_changes_in_time_order(client, world, factory):
    first = client.get("/api/v1/patients", headers=world.clinician.headers).json["items"][0]
    stamp = first["updated_at"]
    later = client.patch(
        f"/api/v1/patients/{world.patient_id}",
        json={"given_name": "Later"},
        headers={**world.clinician.headers, "If-Match": '"1"'},
    ).json
    response = client.get(
        "/api/v1/patients",
        query_string={"updated_since": later["updated_at"]},
        headers=world.clinician.headers,
    )
    assert [p["given_name"] for p in response.json["items"]] == ["Later"]
    assert stamp <= later["updated_at"]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=201", "cursor=garbage", "identifier=nobar", "updated_since=yesterday", "q="],
)
def test_bad_list_parameters_are_422(client, world, query):
    response = client.get(f"/api/v1/patients?{query}", headers=world.clinician.headers)
    assert response.status_code == 422
    assert query.split("=")[0] in response.json["errors"]


def test_cursor_of_another_listing_is_refused(client, world, factory):
    factory.patient(world.clinic_id)
    first = client.get("/api/v1/patients?limit=1", headers=world.clinician.headers).json
    response = client.get(
        f"/api/v1/audit-events?cursor={first['next_cursor']}", headers=world.admin.headers
    )
    assert response.status_code == 422
    assert "cursor" in response.json["errors"]


def test_upsert_creates_then_updates_keeping_the_identifier(client, world, app):
    url = "/api/v1/patients/by-identifier?system=urn:pms&value=77"
    body = {k: v for k, v in NEW_PATIENT.items() if k != "identifiers"}
    created = client.put(url, json=body, headers=world.clinician.headers)
    assert created.status_code == 201
    assert created.json["identifiers"] == [{"system": "urn:pms", "value": "77"}]
    updated = client.put(
        url, json={**body, "given_name": "Joanna"}, headers=world.clinician.headers
    )
    assert updated.status_code == 200
    assert updated.json["id"] == created.json["id"]
    assert updated.json["given_name"] == "Joanna"
    assert updated.json["version"] == 2
    assert changes_for(app, created.json["id"]) == [("created", 1), ("updated", 2)]
    stale = client.put(url, json=body, headers={**world.clinician.headers, "If-Match": '"1"'})
    assert stale.status_code == 412


def test_upsert_needs_system_and_value(client, world):
    response = client.put(
        "/api/v1/patients/by-identifier?system=urn:pms",
        json=NEW_PATIENT,
        headers=world.clinician.headers,
    )
    assert response.status_code == 422
    assert "value" in response.json["errors"]


def test_upsert_of_an_archived_patient_is_a_conflict(client, world):
    url = "/api/v1/patients/by-identifier?system=urn:pms&value=5"
    created = client.put(url, json=NEW_PATIENT, headers=world.clinician.headers).json
    client.delete(
        f"/api/v1/patients/{created['id']}", headers={**world.clinician.headers, "If-Match": '"1"'}
    )
    response = client.put(url, json=NEW_PATIENT, headers=world.clinician.headers)
    assert response.status_code == 409


def test_concurrent_upserts_of_one_identifier_leave_exactly_one_patient(app, world):
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect != "postgresql":
        pytest.skip("needs concurrent writers: runs on PostgreSQL")
    workers = 8
    barrier = threading.Barrier(workers)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def upsert(n: int) -> None:
        local = app.test_client()
        barrier.wait()
        response = local.put(
            "/api/v1/patients/by-identifier?system=urn:race&value=1",
            json={**NEW_PATIENT, "identifiers": [], "given_name": f"Racer{n}"},
            headers=world.clinician.headers,
        )
        with lock:
            results.append((response.status_code, response.json.get("id") or str(response.json)))

    threads = [threading.Thread(target=upsert, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (workers - 1) + [201]
    assert len({patient_id for _, patient_id in results}) == 1
    with app.app_context(), all_clinics(db.session):
        racers = db.session.scalar(
            select(func.count()).select_from(Patient).where(Patient.given_name.like("Racer%"))
        )
    assert racers == 1


def test_listing_costs_the_same_statements_for_5_or_100_patients(
    client, factory, world, count_statements
):
    def statements_to_list(expected_rows: int) -> list[str]:
        client.get("/api/v1/patients?limit=200", headers=world.clinician.headers)  # token touched
        with count_statements() as counter:
            response = client.get("/api/v1/patients?limit=200", headers=world.clinician.headers)
        assert len(response.json["items"]) == expected_rows
        return list(counter.statements)

    def add(n: int) -> None:
        for _ in range(n):
            factory.patient(
                world.clinic_id, identifiers=[{"system": "s", "value": str(uuid.uuid4())}]
            )

    add(4)
    few = statements_to_list(5)
    add(95)
    many = statements_to_list(100)
    assert len(few) == len(many)
    # the token, the page, its identifiers (one selectin), one audit insert for all rows
    assert len(many) == 4, many
