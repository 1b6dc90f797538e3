"""API clients: keys shown once and stored hashed, scopes, rotation, revocation."""

from __future__ import annotations

from sqlalchemy import select

from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.integrations.models import ApiKey


def create_client(client, admin, scopes, name="PMS"):
    response = client.post(
        "/api/v1/api-clients", json={"name": name, "scopes": scopes}, headers=admin.headers
    )
    assert response.status_code == 201, response.json
    return response.json


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_key_is_shown_once_and_stored_only_hashed(client, world, app):
    issued = create_client(client, world.admin, ["patients:read"])
    key = issued["key"]
    assert key.startswith("hrk_")
    assert issued["client"]["scopes"] == ["patients:read"]
    prefix = issued["client"]["keys"][0]["prefix"]
    assert key.startswith(f"hrk_{prefix}_")
    with app.app_context(), all_clinics(db.session):
        stored = db.session.scalars(select(ApiKey)).one()
        assert stored.key_hash != key and key not in stored.key_hash
    read = client.get(f"/api/v1/api-clients/{issued['client']['id']}", headers=world.admin.headers)
    assert "key" not in read.json
    assert read.json["keys"][0]["prefix"] == prefix


def test_a_scope_opens_exactly_its_routes(client, world):
    key = create_client(client, world.admin, ["patients:read"])["key"]
    assert client.get("/api/v1/patients", headers=bearer(key)).status_code == 200
    assert (
        client.get(f"/api/v1/patients/{world.patient_id}", headers=bearer(key)).status_code == 200
    )
    refused = client.post(
        "/api/v1/patients",
        json={"given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "sex": "male"},
        headers=bearer(key),
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/changes", headers=bearer(key)).status_code == 403
    assert client.get("/api/v1/users", headers=bearer(key)).status_code == 403
    assert client.get("/api/v1/me", headers=bearer(key)).status_code == 403


def test_a_client_never_sees_another_clinic(client, world):
    key = create_client(client, world.admin, ["patients:read"])["key"]
    listed = client.get("/api/v1/patients", headers=bearer(key)).json["items"]
    assert [p["id"] for p in listed] == [str(world.patient_id)]
    other = client.get(f"/api/v1/patients/{world.other_patient_id}", headers=bearer(key))
    assert other.status_code == 404


def test_last_used_at_is_recorded(client, world):
    issued = create_client(client, world.admin, ["patients:read"])
    assert issued["client"]["last_used_at"] is None
    client.get("/api/v1/patients", headers=bearer(issued["key"]))
    read = client.get(f"/api/v1/api-clients/{issued['client']['id']}", headers=world.admin.headers)
    assert read.json["last_used_at"] is not None


def test_rotation_two_live_keys_then_revoke_the_old(client, world):
    issued = create_client(client, world.admin, ["patients:read"])
    client_id, old = issued["client"]["id"], issued["key"]
    second = client.post(f"/api/v1/api-clients/{client_id}/keys", headers=world.admin.headers)
    assert second.status_code == 201
    new = second.json["key"]
    assert client.get("/api/v1/patients", headers=bearer(old)).status_code == 200
    assert client.get("/api/v1/patients", headers=bearer(new)).status_code == 200
    third = client.post(f"/api/v1/api-clients/{client_id}/keys", headers=world.admin.headers)
    assert third.status_code == 409
    old_id = issued["key_id"]
    revoked = client.delete(
        f"/api/v1/api-clients/{client_id}/keys/{old_id}", headers=world.admin.headers
    )
    assert revoked.status_code == 204
    assert client.get("/api/v1/patients", headers=bearer(old)).status_code == 401
    assert client.get("/api/v1/patients", headers=bearer(new)).status_code == 200


def test_revoking_a_client_stops_its_keys_at_once(client, world):
    issued = create_client(client, world.admin, ["patients:read"])
    assert client.get("/api/v1/patients", headers=bearer(issued["key"])).status_code == 200
    url = f"/api/v1/api-clients/{issued['client']['id']}"
    assert client.delete(url, headers=world.admin.headers).status_code == 204
    assert client.get("/api/v1/patients", headers=bearer(issued["key"])).status_code == 401
    assert client.get(url, headers=world.admin.headers).json["revoked_at"] is not None
    assert client.delete(url, headers=world.admin.headers).status_code == 409


def test_invalid_client_requests_are_refused(client, world):
    for body, field in (
        ({"name": "x", "scopes": ["everything"]}, "scopes.0"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "", "scopes": ["patients:read"]}, "name"),
        ({"name": "x", "scopes": ["patients:read", "patients:read"]}, "scopes"),
        ({"name": "x", "scopes": ["patients:read"], "owner": "me"}, "owner"),
    ):
        response = client.post("/api/v1/api-clients", json=body, headers=world.admin.headers)
        assert response.status_code == 422
        assert field in response.json["errors"], (body, response.json)
    listed = client.get("/api/v1/api-clients", headers=world.admin.headers).json["items"]
    assert listed == []


def test_only_admins_manage_clients_and_only_their_own(client, world):
    issued = create_client(client, world.admin, ["patients:read"])
    url = f"/api/v1/api-clients/{issued['client']['id']}"
    assert client.get(url, headers=world.clinician.headers).status_code == 403
    assert client.get(url, headers=world.other_admin.headers).status_code == 404
    assert client.delete(url, headers=world.other_admin.headers).status_code == 404
    key_client = client.get("/api/v1/api-clients", headers=bearer(issued["key"]))
    assert key_client.status_code == 403


def test_api_clients_are_audited_as_actors(client, world):
    issued = create_client(client, world.admin, ["patients:read"])
    client.get(f"/api/v1/patients/{world.patient_id}", headers=bearer(issued["key"]))
    events = client.get(
        "/api/v1/audit-events",
        query_string={"patient_id": str(world.patient_id)},
        headers=world.admin.headers,
    ).json["items"]
    assert [(e["actor_type"], e["actor_id"], e["actor_role"]) for e in events] == [
        ("api_client", issued["client"]["id"], "api_client")
    ]
