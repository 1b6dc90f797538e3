"""The audit trail records every read and write of patient data, and failures."""

from __future__ import annotations


def events(client, admin, **query):
    response = client.get("/api/v1/audit-events", query_string=query, headers=admin.headers)
    assert response.status_code == 200
    return response.json["items"]


def test_reads_and_writes_are_recorded_with_actor_and_outcome(client, world):
    headers = {**world.clinician.headers, "X-Request-ID": "req-42"}
    client.get(f"/api/v1/patients/{world.patient_id}", headers=headers)
    client.patch(
        f"/api/v1/patients/{world.patient_id}",
        json={"given_name": "Audited"},
        headers={**headers, "If-Match": '"1"'},
    )
    trail = events(client, world.admin, patient_id=str(world.patient_id))
    assert [(e["action"], e["outcome"], e["status_code"]) for e in trail] == [
        ("read", "success", 200),
        ("update", "success", 200),
    ]
    first = trail[0]
    assert first["actor_id"] == str(world.clinician.id)
    assert first["actor_role"] == "clinician"
    assert first["resource_type"] == "patient"
    assert first["resource_id"] == str(world.patient_id)
    assert first["request_id"] == "req-42"
    assert first["client_address"] == "127.0.0.1"
    assert first["path"] == f"/api/v1/patients/{world.patient_id}"


def test_a_list_records_each_patient_shown(client, world, factory):
    second = factory.patient(world.clinic_id)
    client.get("/api/v1/patients", headers=world.clinician.headers)
    listed = events(client, world.admin, actor_id=str(world.clinician.id))
    assert sorted(e["patient_id"] for e in listed) == sorted([str(world.patient_id), str(second)])
    assert {e["action"] for e in listed} == {"list"}


def test_failures_are_recorded_and_the_change_is_not(client, world):
    client.patch(
        f"/api/v1/patients/{world.patient_id}",
        json={"given_name": "Nope"},
        headers={**world.clinician.headers, "If-Match": '"9"'},
    )
    client.get(f"/api/v1/patients/{world.other_patient_id}", headers=world.clinician.headers)
    trail = events(client, world.admin, actor_id=str(world.clinician.id))
    assert [(e["action"], e["outcome"], e["status_code"], e["resource_id"]) for e in trail] == [
        ("update", "failure", 412, str(world.patient_id)),
        ("read", "failure", 404, str(world.other_patient_id)),
    ]


def test_clinics_see_only_their_own_trail(client, world):
    client.get(f"/api/v1/patients/{world.patient_id}", headers=world.clinician.headers)
    assert events(client, world.other_admin) == []


def test_audit_log_is_for_admins_only(client, world):
    response = client.get("/api/v1/audit-events", headers=world.clinician.headers)
    assert response.status_code == 403
    assert response.json["status"] == 403


def test_since_filter_and_paging(client, world):
    for _ in range(3):
        client.get(f"/api/v1/patients/{world.patient_id}", headers=world.clinician.headers)
    page = client.get("/api/v1/audit-events?limit=2", headers=world.admin.headers).json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(
        f"/api/v1/audit-events?limit=2&cursor={page['next_cursor']}", headers=world.admin.headers
    ).json
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    later = events(client, world.admin, since=rest["items"][0]["occurred_at"])
    assert [e["id"] for e in later] == [rest["items"][0]["id"]]
