"""Idempotency-Key on POST: replay, mismatch, in flight, release on failure."""

from __future__ import annotations

from sqlalchemy import func, select

from clinic.core.idempotency import IdempotencyRecord, _fingerprint
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.patients.models import Patient

BODY = {"given_name": "Ida", "family_name": "Empotent", "birth_date": "1991-02-03", "sex": "other"}


def _count(app, model) -> int:
    with app.app_context(), all_clinics(db.session):
        return db.session.scalar(select(func.count()).select_from(model))


def test_same_key_and_body_replays_the_first_response(client, world, app):
    headers = {**world.clinician.headers, "Idempotency-Key": "abc-1"}
    first = client.post("/api/v1/patients", json=BODY, headers=headers)
    second = client.post("/api/v1/patients", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(app, Patient) == 3  # the world's two and one new


def test_same_key_with_another_body_is_422(client, world, app):
    headers = {**world.clinician.headers, "Idempotency-Key": "abc-2"}
    client.post("/api/v1/patients", json=BODY, headers=headers)
    response = client.post(
        "/api/v1/patients", json={**BODY, "given_name": "Other"}, headers=headers
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]
    assert _count(app, Patient) == 3


def test_key_is_scoped_to_the_credential(client, world, factory):
    colleague = factory.user(world.clinic_id)
    key = {"Idempotency-Key": "shared"}
    mine = client.post("/api/v1/patients", json=BODY, headers={**world.clinician.headers, **key})
    theirs = client.post("/api/v1/patients", json=BODY, headers={**colleague.headers, **key})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json["id"] != theirs.json["id"]


def test_in_flight_key_answers_409(client, world, app):
    # A reservation with no stored response is what a request still running leaves.
    with app.test_request_context("/api/v1/patients", method="POST", json=BODY):
        fingerprint = _fingerprint()
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                credential=f"user:{world.clinician.id}", key="busy", fingerprint=fingerprint
            )
        )
        db.session.commit()
    response = client.post(
        "/api/v1/patients",
        json=BODY,
        headers={**world.clinician.headers, "Idempotency-Key": "busy"},
    )
    assert response.status_code == 409
    assert response.headers["Retry-After"] == "1"
    assert response.json["type"] == "/problems/idempotency-in-progress"
    assert _count(app, Patient) == 2


def test_failed_request_releases_its_key(client, world, app):
    headers = {**world.clinician.headers, "Idempotency-Key": "retry-me"}
    bad = client.post("/api/v1/patients", json={**BODY, "sex": "x"}, headers=headers)
    assert bad.status_code == 422
    assert _count(app, IdempotencyRecord) == 0
    good = client.post("/api/v1/patients", json=BODY, headers=headers)
    assert good.status_code == 201


def test_invalid_key_is_refused(client, world):
    response = client.post(
        "/api/v1/patients",
        json=BODY,
        headers={**world.clinician.headers, "Idempotency-Key": "k" * 300},
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]
