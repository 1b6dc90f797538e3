"""A practice-management system end to end: key, upserts, change feed, webhooks, FHIR."""

from __future__ import annotations

import json

from standardwebhooks.webhooks import Webhook

from clinic.core.tenancy import set_clinic
from clinic.exercises.service import seed_catalogue
from clinic.extensions import db
from clinic.webhooks import worker
from tests.test_patient_journey import INITIAL, Api, at, days_ago
from tests.webhooks.test_delivery import Receiver

PMS = "urn:acme-pms:patient"


def test_a_practice_system_integrates_end_to_end(app, client, world):
    admin = Api(client, world.admin.headers)
    receiver = Receiver()
    try:
        # The clinic's admin issues a key and subscribes the system's webhook URL.
        issued = admin.call(
            "post",
            "/api/v1/api-clients",
            201,
            json={
                "name": "Acme PMS",
                "scopes": [
                    "patients:read",
                    "patients:write",
                    "changes:read",
                    "fhir:read",
                ],
            },
        )
        pms = Api(client, {"Authorization": f"Bearer {issued['key']}"})
        endpoint = admin.call(
            "post",
            "/api/v1/webhook-endpoints",
            201,
            json={
                "url": receiver.url,
                "events": [
                    "patient.created",
                    "patient.updated",
                    "goal.created",
                    "program.published",
                ],
            },
        )

        # Upserts by the system's own identifier: created, then updated, never duplicated.
        body = {
            "given_name": "Pat",
            "family_name": "Mgmt",
            "birth_date": "1970-05-06",
            "sex": "male",
        }
        url = f"/api/v1/patients/by-identifier?system={PMS}&value=42"
        created = pms.call("put", url, 201, json=body)
        again = pms.call("put", url, 200, json={**body, "phone": "+1 555 0100"})
        assert again["id"] == created["id"] and again["version"] == 2
        found = pms.call("get", f"/api/v1/patients?identifier={PMS}|42", 200)["items"]
        assert [p["id"] for p in found] == [created["id"]]
        pms.call("post", "/api/v1/api-clients", 403, json={"name": "x", "scopes": ["fhir:read"]})

        # The clinic works with the patient (clinicians through their own app).
        physio = Api(client, world.clinician.headers)
        episode = physio.call(
            "post",
            f"/api/v1/patients/{created['id']}/episodes",
            201,
            json={"title": "Hip pain", "side": "right"},
        )
        draft = physio.call(
            "post",
            f"/api/v1/episodes/{episode['id']}/assessments",
            201,
            json={**INITIAL, "performed_at": at(3)},
        )
        physio.call("post", f"/api/v1/assessments/{draft['id']}/finalize", 200)
        goal = physio.call(
            "post",
            f"/api/v1/episodes/{episode['id']}/goals",
            201,
            json={
                "term": "short",
                "description": "Right hip extension to 15 degrees",
                "metric": "rom.hip.extension",
                "side": "right",
                "target_value": 15,
                "comparator": ">=",
                "due_date": days_ago(-21),
                "rationale": "Stretching daily.",
            },
        )

        with app.app_context():
            set_clinic(db.session, world.clinic_id)
            seed_catalogue(world.clinic_id)
            db.session.commit()
        bridge = physio.call("get", "/api/v1/exercises?q=bridge", 200)["items"][0]
        program = physio.call(
            "post",
            f"/api/v1/episodes/{episode['id']}/programs",
            201,
            json={
                "start_date": days_ago(1),
                "items": [
                    {
                        "exercise_id": bridge["id"],
                        "sets": 3,
                        "reps": 12,
                        "times_per_day": 1,
                        "days_per_week": 5,
                    },
                ],
            },
        )
        physio.call("post", f"/api/v1/programs/{program['id']}/publish", 200)

        # The change feed: every change once, in order, thin.
        feed = pms.call("get", "/api/v1/changes?limit=200", 200)
        seen = [(c["resource_type"], c["action"]) for c in feed["items"]]
        assert seen[:2] == [("patient", "created"), ("patient", "updated")]
        assert ("goal", "created") in seen and ("assessment", "updated") in seen
        assert "Pat" not in json.dumps(feed)
        later = pms.call("get", f"/api/v1/changes?cursor={feed['next_cursor']}", 200)
        assert later["items"] == []

        # Webhooks arrive signed; the system verifies them with its own library.
        with app.app_context():
            worker.deliver_due()
        events = [
            Webhook(endpoint["secret"]).verify(body, headers) for headers, body in receiver.received
        ]
        assert [(e["type"], e["resource_id"]) for e in events] == [
            ("patient.created", created["id"]),
            ("patient.updated", created["id"]),
            ("goal.created", goal["id"]),
            ("program.published", program["id"]),
        ]

        # The FHIR view of the patient's goals.
        def fhir(path):
            response = client.get(f"/fhir/R4/{path}", headers=pms.headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            assert response.headers["Content-Type"].startswith("application/fhir+json")
            return response.json

        bundle = fhir(f"Patient?identifier={PMS}|42")
        assert bundle["total"] == 1 and bundle["entry"][0]["resource"]["id"] == created["id"]
        goals = fhir(f"Goal?patient={created['id']}")
        (entry,) = goals["entry"]
        assert entry["resource"]["lifecycleStatus"] == "active"
        assert entry["resource"]["description"]["text"] == "Right hip extension to 15 degrees"
        care_plans = fhir(f"CarePlan?patient={created['id']}")
        (plan,) = [e["resource"] for e in care_plans["entry"]]
        assert plan["status"] == "active" and plan["intent"] == "plan"
        (activity,) = plan["activity"]
        assert activity["detail"]["code"]["text"] == bridge["name"]
        assert "12 reps" in activity["detail"]["description"]
        observations = fhir(f"Observation?patient={created['id']}")
        assert observations["total"] >= 1
    finally:
        receiver.close()
