"""Staff accounts: admins create, list, update and deactivate them."""

from __future__ import annotations

NEW_USER = {
    "email": "New.Physio@Example.org",
    "name": "New Physio",
    "role": "clinician",
    "password": "a long enough password",
}


def test_admin_creates_a_clinician_who_can_log_in(client, world):
    response = client.post("/api/v1/users", json=NEW_USER, headers=world.admin.headers)
    assert response.status_code == 201
    assert response.json["email"] == "new.physio@example.org"
    assert response.json["role"] == "clinician"
    assert response.json["active"] is True
    assert "password" not in response.json and "password_hash" not in response.json
    login = client.post(
        "/api/v1/auth/token", json={"email": NEW_USER["email"], "password": NEW_USER["password"]}
    )
    assert login.status_code == 201


def test_duplicate_email_is_a_conflict_even_across_clinics(client, world):
    assert (
        client.post("/api/v1/users", json=NEW_USER, headers=world.admin.headers).status_code == 201
    )
    again = client.post("/api/v1/users", json=NEW_USER, headers=world.other_admin.headers)
    assert again.status_code == 409
    assert "email" in again.json["errors"]


def test_invalid_user_is_refused_naming_fields(client, world):
    response = client.post(
        "/api/v1/users",
        json={"email": "nope", "name": "", "role": "patient", "password": "short", "x": 1},
        headers=world.admin.headers,
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"email", "name", "role", "password", "x"}


def test_list_shows_only_this_clinics_staff(client, world):
    response = client.get("/api/v1/users", headers=world.admin.headers)
    assert response.status_code == 200
    emails = [u["email"] for u in response.json["items"]]
    assert sorted(emails) == sorted([world.admin.email, world.clinician.email])
    only_admins = client.get("/api/v1/users?role=admin", headers=world.admin.headers).json["items"]
    assert [u["email"] for u in only_admins] == [world.admin.email]


def test_deactivation_stops_the_users_tokens_at_once(client, world):
    url = f"/api/v1/users/{world.clinician.id}"
    assert client.get("/api/v1/me", headers=world.clinician.headers).status_code == 200
    response = client.patch(url, json={"active": False}, headers=world.admin.headers)
    assert response.status_code == 200
    assert response.json["active"] is False
    assert client.get("/api/v1/me", headers=world.clinician.headers).status_code == 401
    reactivated = client.patch(url, json={"active": True}, headers=world.admin.headers)
    assert reactivated.json["active"] is True
    # revoked tokens stay revoked; a new login is needed
    assert client.get("/api/v1/me", headers=world.clinician.headers).status_code == 401


def test_admin_cannot_deactivate_or_demote_themselves(client, world):
    url = f"/api/v1/users/{world.admin.id}"
    assert client.patch(url, json={"active": False}, headers=world.admin.headers).status_code == 409
    assert (
        client.patch(url, json={"role": "clinician"}, headers=world.admin.headers).status_code
        == 409
    )
    assert (
        client.patch(url, json={"name": "Renamed"}, headers=world.admin.headers).json["name"]
        == "Renamed"
    )


def test_other_clinics_user_is_not_found(client, world):
    url = f"/api/v1/users/{world.other_admin.id}"
    assert client.get(url, headers=world.admin.headers).status_code == 404
    assert client.patch(url, json={"active": False}, headers=world.admin.headers).status_code == 404


def test_clinician_cannot_manage_users(client, world):
    assert client.get("/api/v1/users", headers=world.clinician.headers).status_code == 403
    assert (
        client.post("/api/v1/users", json=NEW_USER, headers=world.clinician.headers).status_code
        == 403
    )
