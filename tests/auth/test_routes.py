"""Logging in and out, token lifetime and idle timeout, throttling, /me."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from clinic.auth.models import AccessToken
from clinic.core.models import utcnow
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from tests.conftest import PASSWORD


def login(client, email, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_login_issues_a_bearer_token_that_works(client, world):
    response = login(client, world.clinician.email.upper())
    assert response.status_code == 201
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 8 * 3600
    assert body["access_token"].startswith("hrt_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json["id"] == str(world.clinician.id)
    assert me.json["role"] == "clinician"
    assert me.json["clinic_id"] == str(world.clinic_id)
    assert me.json["clinic_name"] == "Ours"
    assert me.json["patient_id"] is None


def test_wrong_password_and_unknown_email_get_the_same_answer(client, world):
    wrong = login(client, world.clinician.email, "not the password")
    unknown = login(client, "nobody@example.test", "whatever")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]
    assert wrong.headers["Content-Type"] == "application/problem+json"


def test_deactivated_user_cannot_log_in(client, factory, world):
    inactive = factory.user(world.clinic_id, active=False)
    assert login(client, inactive.email).status_code == 401


def test_login_body_is_validated(client):
    response = client.post("/api/v1/auth/token", json={"email": "x", "password": "", "extra": 1})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"email", "password", "extra"}


def test_failures_per_account_are_throttled_with_retry_after(client, world):
    for attempt in range(5):
        assert (
            login(client, world.clinician.email, "bad", address=f"10.0.1.{attempt}").status_code
            == 401
        )
    throttled = login(client, world.clinician.email, address="10.0.2.1")  # right password too
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 900
    other = login(client, world.admin.email, address="10.0.2.1")
    assert other.status_code == 201  # another account is not affected


def test_failures_per_address_are_throttled(client, world):
    for n in range(20):
        login(client, f"user{n}@example.test", "bad", address="10.9.9.9")
    response = login(client, world.clinician.email, address="10.9.9.9")
    assert response.status_code == 429
    assert login(client, world.clinician.email, address="10.9.9.10").status_code == 201


def test_success_clears_the_account_counter(client, world):
    for _ in range(4):
        login(client, world.clinician.email, "bad")
    assert login(client, world.clinician.email).status_code == 201
    for _ in range(4):
        login(client, world.clinician.email, "bad")
    assert login(client, world.clinician.email).status_code == 201


def test_logout_revokes_only_the_token_used(client, world):
    second = login(client, world.clinician.email).json["access_token"]
    response = client.delete("/api/v1/auth/token", headers=world.clinician.headers)
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=world.clinician.headers).status_code == 401
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    )


def _age_token(app, token_id_filter, **values):
    with app.app_context(), all_clinics(db.session):
        db.session.execute(update(AccessToken).where(token_id_filter).values(**values))
        db.session.commit()


def test_expired_token_is_refused(client, app, world):
    _age_token(
        app, AccessToken.user_id == world.clinician.id, expires_at=utcnow() - timedelta(seconds=1)
    )
    response = client.get("/api/v1/me", headers=world.clinician.headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_idle_token_is_refused_and_use_keeps_it_alive(client, app, world):
    _age_token(
        app, AccessToken.user_id == world.admin.id, last_used_at=utcnow() - timedelta(minutes=29)
    )
    assert client.get("/api/v1/me", headers=world.admin.headers).status_code == 200
    # that use refreshed last_used_at, so 29 more minutes are fine
    _age_token(
        app,
        AccessToken.user_id == world.clinician.id,
        last_used_at=utcnow() - timedelta(minutes=31),
    )
    assert client.get("/api/v1/me", headers=world.clinician.headers).status_code == 401


def test_malformed_authorization_headers_are_401(client, world):
    for header in (
        "Basic abc",
        "Bearer",
        "Bearer hrt_unknown",
        "Bearer " + "x" * 500,
        world.clinician.token,
    ):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json["status"] == 401
