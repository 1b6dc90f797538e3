"""One patient through the whole path, checking the server's answer at each step.

intake -> assessment -> goals and program -> in treatment -> the patient logs
exercise -> a reassessment achieves a short-term goal -> return to run -> runs
progress through phases -> discharge.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from clinic.core.tenancy import set_clinic
from clinic.exercises.service import seed_catalogue
from clinic.extensions import db

TODAY = datetime.now(UTC).date()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def at(n_days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=n_days_ago)).replace(microsecond=0).isoformat()


INITIAL = {
    "kind": "initial",
    "pain": {"rest": 1, "activity": 4, "running": 6},
    "thomas_test": {
        "left": {
            "hip_extension_deg": 5,
            "knee_flexion_deg": 85,
            "hip_abduction_deg": 5,
            "result": "negative",
        },
        "right": {
            "hip_extension_deg": -10,
            "knee_flexion_deg": 70,
            "hip_abduction_deg": 20,
            "result": "positive",
        },
    },
    "trendelenburg": {
        "left": {"result": "negative", "hold_seconds": 30},
        "right": {"result": "positive", "hold_seconds": 12, "compensated": True},
    },
    "rom": [
        {"joint": "hip", "motion": "extension", "side": "left", "mode": "active", "degrees": 18},
        {"joint": "hip", "motion": "extension", "side": "right", "mode": "active", "degrees": 8},
    ],
    "functional": {
        "plank_seconds": 40,
        "side_plank_seconds": {"left": 35, "right": 20},
        "walking_minutes_pain_free": 25,
        "single_leg_squat": {
            "left": {"reps": 10, "pain": False, "pelvic_drop": False},
            "right": {"reps": 6, "pain": True, "pelvic_drop": True},
        },
    },
}
# Every return-to-run criterion met; right hip extension 17 achieves the short-term goal.
RECOVERED = {
    "pain": {"rest": 0, "activity": 1, "running": 2},
    "trendelenburg": {
        "left": {"result": "negative", "hold_seconds": 30},
        "right": {"result": "negative", "hold_seconds": 30},
    },
    "rom": [
        {"joint": "hip", "motion": "extension", "side": "left", "mode": "active", "degrees": 18},
        {"joint": "hip", "motion": "extension", "side": "right", "mode": "active", "degrees": 17},
    ],
    "functional": {
        "plank_seconds": 65,
        "side_plank_seconds": {"left": 50, "right": 48},
        "walking_minutes_pain_free": 45,
        "single_leg_squat": {
            "left": {"reps": 12, "pain": False, "pelvic_drop": False},
            "right": {"reps": 10, "pain": False, "pelvic_drop": False},
        },
    },
}


class Api:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def call(self, method, url, expected, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = getattr(self.client, method)(url, headers=headers, **kwargs)
        assert response.status_code == expected, (method, url, response.json)
        return response.json

    def finalised(self, episode_id, body, days):
        draft = self.call(
            "post",
            f"/api/v1/episodes/{episode_id}/assessments",
            201,
            json={**body, "performed_at": at(days)},
        )
        return self.call("post", f"/api/v1/assessments/{draft['id']}/finalize", 200)

    def move(self, episode_id, to, expected=200, **extra):
        return self.call(
            "post", f"/api/v1/episodes/{episode_id}/transitions", expected, json={"to": to, **extra}
        )


def test_a_runner_goes_from_intake_to_discharge(app, client, world):
    with app.app_context():
        set_clinic(db.session, world.clinic_id)
        seed_catalogue(world.clinic_id)  # as create-clinic does
        db.session.commit()
    physio = Api(client, world.clinician.headers)

    # Intake
    patient = physio.call(
        "post",
        "/api/v1/patients",
        201,
        json={
            "given_name": "Jo",
            "family_name": "Journey",
            "birth_date": "1990-02-03",
            "sex": "female",
            "email": "jo.journey@example.org",
        },
    )
    episode = physio.call(
        "post",
        f"/api/v1/patients/{patient['id']}/episodes",
        201,
        json={
            "title": "Right lateral hip pain",
            "side": "right",
            "history": {"pain_location": ["lateral"], "pain_onset": "hours_after"},
            "diagnoses": [{"code": "gluteal_tendinopathy", "side": "right"}],
        },
    )
    eid = episode["id"]
    assert episode["status"] == "intake"
    refused = physio.move(eid, "assessed", 409)
    assert [u["code"] for u in refused["unmet"]] == ["assessment.finalized_missing"]

    # Assessment
    initial = physio.finalised(eid, INITIAL, days=60)
    codes = {(f["code"], f["side"]) for f in initial["findings"]}
    assert ("thomas.iliopsoas_short", "right") in codes
    assert physio.move(eid, "assessed")["status"] == "assessed"

    # Goals and program
    short = physio.call(
        "post",
        f"/api/v1/episodes/{eid}/goals",
        201,
        json={
            "term": "long",
            "description": "Hold a plank for a minute",
            "metric": "plank.seconds",
            "target_value": 60,
            "comparator": ">=",
            "start_date": days_ago(59),
            "due_date": days_ago(-20),
            "rationale": "Core endurance for running.",
        },
    )
    long_goal = short
    short = physio.call(
        "post",
        f"/api/v1/episodes/{eid}/goals",
        201,
        json={
            "term": "short",
            "description": "Right hip extension to 15 degrees",
            "metric": "rom.hip.extension",
            "side": "right",
            "target_value": 15,
            "comparator": ">=",
            "start_date": days_ago(59),
            "due_date": days_ago(-5),
            "rationale": "Hip flexor stretching daily.",
            "parent_goal_id": long_goal["id"],
        },
    )
    assert short["baseline_value"] == 8.0 and long_goal["baseline_value"] == 40.0
    refused = physio.move(eid, "in_treatment", 409)
    assert [u["code"] for u in refused["unmet"]] == ["program.unpublished"]
    exercises = physio.call("get", "/api/v1/exercises?limit=200", 200)["items"]
    by_name = {e["name"].lower(): e for e in exercises}
    bridge = next(e for name, e in by_name.items() if "bridge" in name)
    clamshell = next(e for name, e in by_name.items() if "clamshell" in name)
    program = physio.call(
        "post",
        f"/api/v1/episodes/{eid}/programs",
        201,
        json={
            "start_date": days_ago(58),
            "items": [
                {
                    "exercise_id": bridge["id"],
                    "sets": 3,
                    "reps": 12,
                    "per_side": False,
                    "times_per_day": 1,
                    "days_per_week": 7,
                },
                {
                    "exercise_id": clamshell["id"],
                    "sets": 3,
                    "reps": 12,
                    "per_side": True,
                    "times_per_day": 1,
                    "days_per_week": 7,
                },
            ],
        },
    )
    published = physio.call("post", f"/api/v1/programs/{program['id']}/publish", 200)
    assert published["status"] == "published"
    assert physio.move(eid, "in_treatment")["status"] == "in_treatment"

    # The patient joins the app and logs exercise
    invitation = physio.call(
        "post", f"/api/v1/patients/{patient['id']}/portal-invitations", 201, json={}
    )
    client.post(
        "/api/v1/auth/patient-activation",
        json={
            "code": invitation["code"],
            "email": "jo.journey@example.org",
            "password": "my own long password",
        },
    )
    token = client.post(
        "/api/v1/auth/token",
        json={"email": "jo.journey@example.org", "password": "my own long password"},
    ).json["access_token"]
    jo = Api(client, {"Authorization": f"Bearer {token}"})
    assert jo.call("get", "/api/v1/me", 200)["patient_id"] == patient["id"]
    mine = jo.call("get", "/api/v1/me/program", 200)
    assert [i["exercise"]["name"] for i in mine["items"]] == [bridge["name"], clamshell["name"]]
    assert mine["items"][0]["exercise"]["instructions"]
    for n in (3, 2, 1):
        jo.call(
            "post",
            "/api/v1/me/exercise-logs",
            201,
            json={
                "date": days_ago(n),
                "program_id": mine["id"],
                "pain_nrs": 2,
                "rpe": 5,
                "items": [{"program_item_id": i["id"], "sets_completed": 3} for i in mine["items"]],
            },
        )
    adherence = physio.call("get", f"/api/v1/episodes/{eid}/adherence", 200)
    assert adherence  # the clinician sees the logged sessions (exact figures: tests/portal)
    jo.call("get", "/api/v1/patients", 403)

    # Reassessment achieves the short-term goal and meets the return-to-run criteria
    physio.finalised(eid, {"kind": "progress", **RECOVERED}, days=14)
    short_now = physio.call("get", f"/api/v1/goals/{short['id']}", 200)
    assert short_now["current_value"] == 17.0
    assert short_now["achievement_status"] == "achieved"
    long_now = physio.call("get", f"/api/v1/goals/{long_goal['id']}", 200)
    assert long_now["achievement_status"] == "achieved"
    my_goals = jo.call("get", "/api/v1/me/goals", 200)["items"]
    assert {g["achievement_status"] for g in my_goals} == {"achieved"}
    checklist = physio.call("get", f"/api/v1/episodes/{eid}/return-to-run", 200)
    assert checklist["all_met"] is True
    assert physio.move(eid, "return_to_run")["status"] == "return_to_run"

    # Graded walk-run plan: two good sessions per phase, a rest day between runs
    physio.call("post", f"/api/v1/episodes/{eid}/run-plan", 201, json={"start_date": days_ago(12)})
    plan = physio.call("get", f"/api/v1/episodes/{eid}/run-plan", 200)
    assert plan["current_phase"] == 1 and plan["sessions_in_phase"] == 0

    def run(days, phase, walk, run_minutes, km):
        logged = jo.call(
            "post",
            "/api/v1/me/runs",
            201,
            json={
                "date": days_ago(days),
                "phase": phase,
                "walk_minutes": walk,
                "run_minutes": run_minutes,
                "distance_km": km,
                "duration_minutes": 20,
                "surface": "road",
                "pain_during": 2,
            },
        )
        jo.call("patch", f"/api/v1/me/runs/{logged['id']}", 200, json={"pain_next_day": 0})

    run(12, 1, 2, 3, 1.6)
    run(10, 1, 2, 3, 1.6)
    plan = physio.call("get", f"/api/v1/episodes/{eid}/run-plan", 200)
    assert (plan["current_phase"], plan["sessions_in_phase"], plan["may_progress"]) == (1, 2, True)
    assert plan["next_phase"] == 2
    run(8, 2, 2, 3, 2.4)
    run(6, 2, 2, 3, 2.4)
    plan = physio.call("get", f"/api/v1/episodes/{eid}/run-plan", 200)
    assert plan["current_phase"] == 2 and plan["may_progress"] is True

    # Discharge: refused until a discharge assessment is finalised
    refused = physio.move(eid, "discharged", 409)
    assert [u["code"] for u in refused["unmet"]] == ["assessment.discharge_missing"]
    physio.finalised(eid, {"kind": "discharge", **RECOVERED}, days=1)
    discharged = physio.move(eid, "discharged")
    assert discharged["status"] == "discharged" and discharged["allowed_transitions"] == []
    history = physio.call("get", f"/api/v1/episodes/{eid}/transitions", 200)["items"]
    assert [t["to_status"] for t in history] == [
        "assessed",
        "in_treatment",
        "return_to_run",
        "discharged",
    ]
    assert date.fromisoformat(days_ago(0)) == TODAY
