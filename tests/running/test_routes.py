"""Return to running through the API: the criteria checklist, the walk-run plan, run logs.

Reaching ``return_to_run`` through the API needs ``in_treatment`` first (goals and a
published program), so the ``rtr_episode`` helper opens the episode through the API and
then sets its status directly in the database (under ``all_clinics``), as test set-up.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics
from clinic.episodes.models import Episode
from clinic.extensions import db
from clinic.running.models import RunLog, RunPlan
from clinic.running.schemas import latest_date_anywhere
from clinic.running.service import latest_run_metric

TODAY = datetime.now(UTC).date()
PLAN_START = TODAY - timedelta(days=40)

CODES = [
    "rtr.walking_pain_free",
    "rtr.pain_activity",
    "rtr.plank",
    "rtr.side_plank",
    "rtr.single_leg_squat",
    "rtr.trendelenburg",
    "rtr.rom_symmetry",
]

# Every criterion met, each a little above (or below) its default threshold.
PASSING: dict[str, Any] = {
    "kind": "progress",
    "pain": {"rest": 0, "activity": 1},
    "trendelenburg": {
        "left": {"result": "negative", "hold_seconds": 30},
        "right": {"result": "negative", "hold_seconds": 30},
    },
    "rom": [
        {"joint": "hip", "motion": "extension", "side": "left", "mode": "passive", "degrees": 20},
        {"joint": "hip", "motion": "extension", "side": "right", "mode": "passive", "degrees": 19},
    ],
    "functional": {
        "plank_seconds": 50,
        "side_plank_seconds": {"left": 46, "right": 48},
        "walking_minutes_pain_free": 35,
        "single_leg_squat": {
            "left": {"reps": 12, "pain": False, "pelvic_drop": False},
            "right": {"reps": 10, "pain": False, "pelvic_drop": False},
        },
    },
}

# Pain and part of the functional tests only: the rest is not measured.
PARTIAL: dict[str, Any] = {
    "kind": "progress",
    "pain": {"rest": 0, "activity": 3},
    "functional": {"plank_seconds": 50, "walking_minutes_pain_free": 40},
}

RUN: dict[str, Any] = {
    "phase": 1,
    "walk_minutes": 2,
    "run_minutes": 3,
    "distance_km": 1.6,
    "duration_minutes": 20,
    "surface": "road",
    "pain_during": 1,
}


# --- Helpers ----------------------------------------------------------------------------------


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def performed(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()


def open_episode(client, actor, patient_id) -> str:
    response = client.post(
        f"/api/v1/patients/{patient_id}/episodes",
        json={"title": "Right lateral hip pain", "side": "right"},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def set_status(factory, episode_id: str, status: str) -> None:
    with factory.session() as session:
        session.get(Episode, uuid.UUID(episode_id)).status = status


def rtr_episode(client, factory, actor, patient_id) -> str:
    """An episode in return_to_run (status set in the database: see the module docstring)."""
    episode_id = open_episode(client, actor, patient_id)
    set_status(factory, episode_id, "return_to_run")
    return episode_id


def finalised_assessment(client, actor, episode_id, body, days_ago=1) -> str:
    created = client.post(
        f"/api/v1/episodes/{episode_id}/assessments",
        json={**body, "performed_at": performed(days_ago)},
        headers=actor.headers,
    )
    assert created.status_code == 201, created.json
    final = client.post(f"/api/v1/assessments/{created.json['id']}/finalize", headers=actor.headers)
    assert final.status_code == 200, final.json
    return created.json["id"]


def checklist(client, actor, episode_id):
    return client.get(f"/api/v1/episodes/{episode_id}/return-to-run", headers=actor.headers)


def criteria_of(body: dict) -> dict[str, dict]:
    assert [c["code"] for c in body["criteria"]] == CODES
    return {c["code"]: c for c in body["criteria"]}


def post_plan(client, actor, episode_id, start=PLAN_START):
    return client.post(
        f"/api/v1/episodes/{episode_id}/run-plan",
        json={"start_date": start.isoformat()},
        headers=actor.headers,
    )


def get_plan(client, actor, episode_id) -> dict:
    response = client.get(f"/api/v1/episodes/{episode_id}/run-plan", headers=actor.headers)
    assert response.status_code == 200, response.json
    return response.json


def post_run(client, patient, **fields):
    body = {**RUN, **fields}
    body = {k: v for k, v in body.items() if v is not None}
    return client.post("/api/v1/me/runs", json=body, headers=patient.headers)


def log_run(client, patient, days_ago: int, **fields) -> dict:
    response = post_run(client, patient, date=day(days_ago), **fields)
    assert response.status_code == 201, response.json
    return response.json


def patch_run(client, patient, run_id, changes, if_match: str | None = None):
    headers = {**patient.headers}
    if if_match is not None:
        headers["If-Match"] = if_match
    return client.patch(f"/api/v1/me/runs/{run_id}", json=changes, headers=headers)


def next_day_pain(client, patient, run_id, pain: int = 0) -> dict:
    response = patch_run(client, patient, run_id, {"pain_next_day": pain})
    assert response.status_code == 200, response.json
    return response.json


def codes(notices: list[dict]) -> list[str]:
    return [n["code"] for n in notices]


def count(app, model) -> int:
    with app.app_context(), all_clinics(db.session):
        return db.session.scalar(select(func.count()).select_from(model))


def changes_of_type(app, resource_type: str) -> list[tuple[uuid.UUID, str, int]]:
    with app.app_context(), all_clinics(db.session):
        rows = db.session.execute(
            select(Change.resource_id, Change.action, Change.version)
            .where(Change.resource_type == resource_type)
            .order_by(Change.seq)
        )
        return [tuple(r) for r in rows]


def audit_trail(client, admin, **query) -> list[dict]:
    response = client.get(
        "/api/v1/audit-events", query_string={"limit": 200, **query}, headers=admin.headers
    )
    assert response.status_code == 200
    return response.json["items"]


@pytest.fixture
def patient(factory, world):
    """The world's patient, logged in to the patient app."""
    return factory.user(world.clinic_id, "patient", patient_id=world.patient_id)


@pytest.fixture
def plan_episode(client, factory, world) -> str:
    """The world patient's episode in return_to_run with a plan started 40 days ago."""
    episode_id = rtr_episode(client, factory, world.clinician, world.patient_id)
    assert post_plan(client, world.clinician, episode_id).status_code == 201
    return episode_id


# --- The criteria checklist -------------------------------------------------------------------


def test_checklist_without_a_finalised_assessment_measures_nothing(client, world):
    episode_id = open_episode(client, world.clinician, world.patient_id)
    # A draft is not the record yet.
    draft = client.post(
        f"/api/v1/episodes/{episode_id}/assessments",
        json={**PASSING, "performed_at": performed(1)},
        headers=world.clinician.headers,
    )
    assert draft.status_code == 201

    response = checklist(client, world.clinician, episode_id)

    assert response.status_code == 200, response.json
    body = response.json
    assert body["assessment_id"] is None
    assert body["performed_at"] is None
    assert body["all_met"] is False
    assert {c["status"] for c in criteria_of(body).values()} == {"not_measured"}


def test_checklist_of_an_assessment_meeting_every_criterion(client, world):
    episode_id = open_episode(client, world.clinician, world.patient_id)
    assessment_id = finalised_assessment(client, world.clinician, episode_id, PASSING)

    response = checklist(client, world.admin, episode_id)

    assert response.status_code == 200, response.json
    body = response.json
    assert body["episode_id"] == episode_id
    assert body["assessment_id"] == assessment_id
    assert body["all_met"] is True
    criteria = criteria_of(body)
    assert {c["status"] for c in criteria.values()} == {"met"}
    assert all(c["label"] for c in criteria.values())
    assert criteria["rtr.walking_pain_free"]["evidence"] == {
        "walking_minutes_pain_free": 35,
        "minimum": 30,
    }
    assert criteria["rtr.pain_activity"]["evidence"] == {"pain_activity_nrs": 1, "maximum": 2}
    assert criteria["rtr.plank"]["evidence"] == {"plank_seconds": 50, "minimum": 45}
    assert criteria["rtr.side_plank"]["evidence"] == {
        "side_plank_seconds": {"left": 46, "right": 48},
        "minimum": 45,
    }
    squat = criteria["rtr.single_leg_squat"]["evidence"]
    assert squat["single_leg_squat"]["left"] == {"reps": 12, "pain": False, "pelvic_drop": False}
    assert squat["minimum_reps"] == 10
    assert criteria["rtr.trendelenburg"]["evidence"] == {
        "trendelenburg": {"left": "negative", "right": "negative"}
    }
    rom = criteria["rtr.rom_symmetry"]["evidence"]
    assert rom["maximum_percent"] == 10
    assert rom["pairs"] == [
        {"motion": "extension", "mode": "passive", "left": 20, "right": 19, "asymmetry_percent": 5}
    ]
    assert body["thresholds"] == {
        "walking_minutes_pain_free": 30,
        "max_pain_activity_nrs": 2,
        "plank_seconds": 45,
        "side_plank_seconds": 45,
        "single_leg_squat_reps": 10,
        "max_rom_asymmetry_percent": 10,
    }


def test_checklist_uses_the_latest_finalised_assessment_and_marks_gaps_not_measured(client, world):
    episode_id = open_episode(client, world.clinician, world.patient_id)
    finalised_assessment(client, world.clinician, episode_id, PASSING, days_ago=5)
    latest = finalised_assessment(client, world.clinician, episode_id, PARTIAL, days_ago=1)

    body = checklist(client, world.clinician, episode_id).json

    assert body["assessment_id"] == latest
    assert body["all_met"] is False
    criteria = criteria_of(body)
    assert {code: c["status"] for code, c in criteria.items()} == {
        "rtr.walking_pain_free": "met",
        "rtr.pain_activity": "not_met",
        "rtr.plank": "met",
        "rtr.side_plank": "not_measured",
        "rtr.single_leg_squat": "not_measured",
        "rtr.trendelenburg": "not_measured",
        "rtr.rom_symmetry": "not_measured",
    }
    assert criteria["rtr.pain_activity"]["evidence"]["pain_activity_nrs"] == 3
    assert criteria["rtr.walking_pain_free"]["evidence"]["walking_minutes_pain_free"] == 40
    assert criteria["rtr.side_plank"]["evidence"]["side_plank_seconds"] == {
        "left": None,
        "right": None,
    }
    assert criteria["rtr.trendelenburg"]["evidence"]["trendelenburg"] == {
        "left": None,
        "right": None,
    }
    assert criteria["rtr.rom_symmetry"]["evidence"]["pairs"] == []


def test_thresholds_from_the_config_change_the_verdict(client, world, app, monkeypatch):
    episode_id = open_episode(client, world.clinician, world.patient_id)
    finalised_assessment(client, world.clinician, episode_id, PASSING)
    assert checklist(client, world.clinician, episode_id).json["all_met"] is True

    monkeypatch.setitem(app.config, "RTR_PLANK_SECONDS", 60)
    monkeypatch.setitem(app.config, "RTR_ROM_ASYMMETRY_PERCENT", 4)
    stricter = checklist(client, world.clinician, episode_id).json

    assert stricter["all_met"] is False
    criteria = criteria_of(stricter)
    assert criteria["rtr.plank"]["status"] == "not_met"
    assert criteria["rtr.plank"]["evidence"] == {"plank_seconds": 50, "minimum": 60}
    assert "60" in criteria["rtr.plank"]["label"]
    assert criteria["rtr.rom_symmetry"]["status"] == "not_met"
    assert stricter["thresholds"]["plank_seconds"] == 60
    assert stricter["thresholds"]["max_rom_asymmetry_percent"] == 4
    assert criteria["rtr.walking_pain_free"]["status"] == "met"


def test_a_laxer_pain_threshold_from_the_config_meets_the_pain_criterion(
    client, world, app, monkeypatch
):
    episode_id = open_episode(client, world.clinician, world.patient_id)
    finalised_assessment(client, world.clinician, episode_id, PARTIAL)
    assert criteria_of(checklist(client, world.clinician, episode_id).json)["rtr.pain_activity"][
        "status"
    ] == ("not_met")

    monkeypatch.setitem(app.config, "RTR_PAIN_ACTIVITY_MAX", 3)
    monkeypatch.setitem(app.config, "RTR_WALKING_MINUTES", 45)
    criteria = criteria_of(checklist(client, world.clinician, episode_id).json)

    assert criteria["rtr.pain_activity"]["status"] == "met"
    assert criteria["rtr.walking_pain_free"]["status"] == "not_met"


def test_checklist_read_is_audited(client, world):
    episode_id = open_episode(client, world.clinician, world.patient_id)
    checklist(client, world.clinician, episode_id)

    trail = audit_trail(client, world.admin, actor_id=str(world.clinician.id))

    assert [(e["action"], e["resource_type"], e["resource_id"], e["patient_id"]) for e in trail][
        -1
    ] == ("read", "return_to_run", episode_id, str(world.patient_id))


# --- The walk-run plan ------------------------------------------------------------------------


def test_a_plan_is_refused_outside_return_to_run_and_nothing_is_stored(client, world, app):
    episode_id = open_episode(client, world.clinician, world.patient_id)

    response = post_plan(client, world.clinician, episode_id)

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "return_to_run" in response.json["detail"]
    assert "intake" in response.json["detail"]
    assert count(app, RunPlan) == 0
    assert changes_of_type(app, "run_plan") == []


def test_a_new_plan_starts_at_phase_one(client, factory, world, app):
    episode_id = rtr_episode(client, factory, world.clinician, world.patient_id)

    response = post_plan(client, world.clinician, episode_id)

    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/api/v1/episodes/{episode_id}/run-plan"
    assert body["episode_id"] == episode_id
    assert body["patient_id"] == str(world.patient_id)
    assert body["start_date"] == PLAN_START.isoformat()
    assert body["current_phase"] == 1
    assert body["phase"] == {
        "number": 1,
        "walk_minutes": 2,
        "run_minutes": 3,
        "distance_km": 1.6,
        "rpe": 3,
        "continuous": False,
    }
    assert body["sessions_in_phase"] == 0
    assert body["may_progress"] is False
    assert codes(body["reasons"]) == ["phase.sessions_needed"]
    assert body["next_phase"] == 1
    assert body["may_run_today"] is True
    assert body["next_run_earliest"] is None
    assert body["warnings"] == []
    assert [p["number"] for p in body["phases"]] == [1, 2, 3, 4, 5, 6]
    assert body["phases"][5] == {
        "number": 6,
        "walk_minutes": None,
        "run_minutes": None,
        "distance_km": 3.2,
        "rpe": 5,
        "continuous": True,
    }
    assert get_plan(client, world.clinician, episode_id) == body
    assert changes_of_type(app, "run_plan") == [(uuid.UUID(body["id"]), "created", 1)]


def test_a_second_plan_for_the_episode_is_a_conflict(client, world, app, plan_episode):
    response = post_plan(client, world.clinician, plan_episode, start=TODAY)

    assert response.status_code == 409
    assert "already" in response.json["detail"]
    assert count(app, RunPlan) == 1
    assert get_plan(client, world.clinician, plan_episode)["start_date"] == PLAN_START.isoformat()


def test_an_episode_without_a_plan_has_no_plan_to_read(client, factory, world):
    episode_id = rtr_episode(client, factory, world.clinician, world.patient_id)

    response = client.get(
        f"/api/v1/episodes/{episode_id}/run-plan", headers=world.clinician.headers
    )

    assert response.status_code == 404
    assert response.json["type"] == "/problems/not-found"


def test_start_date_is_required_and_unknown_fields_refused(client, factory, world, app):
    episode_id = rtr_episode(client, factory, world.clinician, world.patient_id)
    url = f"/api/v1/episodes/{episode_id}/run-plan"
    headers = world.clinician.headers

    missing = client.post(url, json={}, headers=headers)
    unknown = client.post(url, json={"start_date": day(0), "phase": 2}, headers=headers)

    assert missing.status_code == 422
    assert "start_date" in missing.json["errors"]
    assert unknown.status_code == 422
    assert "phase" in unknown.json["errors"]
    assert count(app, RunPlan) == 0


# --- Progress through the phases --------------------------------------------------------------


def test_two_good_sessions_settled_next_morning_let_the_next_run_progress(
    client, world, patient, plan_episode
):
    first = log_run(client, patient, 6, pain_during=2)
    second = log_run(client, patient, 4, pain_during=2)

    pending = get_plan(client, world.clinician, plan_episode)
    assert (pending["current_phase"], pending["sessions_in_phase"]) == (1, 0)
    assert pending["may_progress"] is False
    assert "run.next_day_pain_missing" in codes(pending["reasons"])
    assert pending["runs_logged"] == 2
    assert pending["last_run_date"] == day(4)

    next_day_pain(client, patient, first["id"])
    one = get_plan(client, world.clinician, plan_episode)
    assert one["sessions_in_phase"] == 1
    assert one["may_progress"] is False

    next_day_pain(client, patient, second["id"])
    ready = get_plan(client, world.clinician, plan_episode)
    assert ready["current_phase"] == 1
    assert ready["sessions_in_phase"] == 2
    assert ready["may_progress"] is True
    assert ready["reasons"] == []
    assert ready["next_phase"] == 2
    assert ready["may_run_today"] is True
    assert ready["next_run_earliest"] == day(2)
    assert ready["warnings"] == []

    # A run logged without a phase follows the plan: phase 2 now.
    third = log_run(client, patient, 2, phase=None, distance_km=2.4)
    assert third["phase"] == 2
    moved = get_plan(client, world.clinician, plan_episode)
    assert (moved["current_phase"], moved["sessions_in_phase"]) == (2, 0)
    assert moved["phase"]["distance_km"] == 2.4


def test_pain_above_three_during_a_run_holds_the_phase(client, world, patient, plan_episode):
    first = log_run(client, patient, 6, pain_during=2)
    next_day_pain(client, patient, first["id"])
    painful = log_run(client, patient, 4, pain_during=4)
    next_day_pain(client, patient, painful["id"])

    plan = get_plan(client, world.clinician, plan_episode)

    assert plan["current_phase"] == 1
    assert plan["sessions_in_phase"] == 1
    assert plan["may_progress"] is False
    assert plan["next_phase"] == 1
    assert "run.pain_hold" in codes(plan["reasons"])
    assert "pain.during_above_limit" in codes(plan["warnings"])


def test_runs_on_consecutive_days_are_warned_about(client, world, patient, plan_episode):
    log_run(client, patient, 2)
    log_run(client, patient, 1)

    plan = get_plan(client, world.clinician, plan_episode)

    assert "rest_day.consecutive_runs" in codes(plan["warnings"])
    assert plan["may_run_today"] is False
    assert plan["next_run_earliest"] == (TODAY + timedelta(days=1)).isoformat()
    assert "rest_day.rest_today" in codes(plan["warnings"])


def test_weekly_distance_up_more_than_ten_percent_is_warned_about(
    client, world, patient, plan_episode, app, monkeypatch
):
    for days_ago in (12, 9):
        log_run(client, patient, days_ago, distance_km=2.0)
    for days_ago in (5, 3):
        log_run(client, patient, days_ago, distance_km=2.2)

    exactly_ten = get_plan(client, world.clinician, plan_episode)
    assert "load.weekly_increase" not in codes(exactly_ten["warnings"])

    log_run(client, patient, 1, distance_km=1.0)
    plan = get_plan(client, world.clinician, plan_episode)
    weekly = [w for w in plan["warnings"] if w["code"] == "load.weekly_increase"]
    assert len(weekly) == 1
    assert "35 %" in weekly[0]["message"]
    assert "10 %" in weekly[0]["message"]
    assert "load.single_run_spike" not in codes(plan["warnings"])

    monkeypatch.setitem(app.config, "RUN_WEEKLY_INCREASE_PERCENT", 40)
    laxer = get_plan(client, world.clinician, plan_episode)
    assert "load.weekly_increase" not in codes(laxer["warnings"])


def test_a_run_over_ten_percent_longer_than_the_longest_is_a_spike(
    client, world, patient, plan_episode
):
    log_run(client, patient, 20, distance_km=3.0)
    log_run(client, patient, 4, distance_km=3.3)
    assert "load.single_run_spike" not in codes(
        get_plan(client, world.clinician, plan_episode)["warnings"]
    )

    log_run(client, patient, 2, distance_km=3.7)

    spikes = [
        w
        for w in get_plan(client, world.clinician, plan_episode)["warnings"]
        if w["code"] == "load.single_run_spike"
    ]
    assert len(spikes) == 1
    assert day(2) in spikes[0]["message"]


@pytest.mark.parametrize(("shoe_km", "warned"), [(479.5, False), (480, True), (650, True)])
def test_shoe_distance_from_the_running_profile_reminds_from_480_km(
    client, factory, world, shoe_km, warned
):
    patient_id = factory.patient(world.clinic_id, running_profile={"shoe_distance_km": shoe_km})
    episode_id = rtr_episode(client, factory, world.clinician, patient_id)
    assert post_plan(client, world.clinician, episode_id).status_code == 201

    plan = get_plan(client, world.clinician, episode_id)

    assert ("shoes.replacement_due" in codes(plan["warnings"])) is warned


# --- Run logs ---------------------------------------------------------------------------------


def test_a_logged_run_joins_the_episode_with_a_plan(client, world, patient, plan_episode, app):
    response = post_run(client, patient, date=day(1), notes="Felt fine", rpe=3, pain_before=0)

    assert response.status_code == 201, response.json
    run = response.json
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/me/runs/{run['id']}"
    assert run["episode_id"] == plan_episode
    assert {k: run[k] for k in RUN} == RUN
    assert run["date"] == day(1)
    assert (run["pain_before"], run["rpe"], run["notes"]) == (0, 3, "Felt fine")
    assert run["pain_next_day"] is None
    assert run["version"] == 1
    read = client.get(f"/api/v1/me/runs/{run['id']}", headers=patient.headers)
    assert read.status_code == 200
    assert read.json == run
    assert changes_of_type(app, "run") == [(uuid.UUID(run["id"]), "created", 1)]


def test_without_a_plan_in_return_to_run_a_run_is_refused(
    client, factory, world, patient, plan_episode, app
):
    set_status(factory, plan_episode, "in_treatment")
    moved_on = post_run(client, patient, date=day(1))
    # An episode in return_to_run but with no plan yet.
    rtr_episode(client, factory, world.clinician, world.patient_id)
    no_plan = post_run(client, patient, date=day(1))

    for response in (moved_on, no_plan):
        assert response.status_code == 409
        assert "plan" in response.json["detail"]
    assert count(app, RunLog) == 0


def test_a_run_before_the_plan_start_is_refused(client, world, patient, plan_episode, app):
    response = post_run(client, patient, date=(PLAN_START - timedelta(days=1)).isoformat())

    assert response.status_code == 422
    assert list(response.json["errors"]) == ["date"]
    assert count(app, RunLog) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pain_during": 11}, "pain_during"),
        ({"pain_during": None}, "pain_during"),
        ({"pain_during": 2.5}, "pain_during"),
        ({"surface": "sand"}, "surface"),
        ({"date": (TODAY + timedelta(days=2)).isoformat()}, "date"),
        ({"heart_rate": 150}, "heart_rate"),
        ({"pain_next_day": 0}, "pain_next_day"),
        ({"phase": 7}, "phase"),
        ({"distance_km": -1}, "distance_km"),
        ({"run_minutes": 30}, "run_minutes"),
        ({"episode_id": str(uuid.uuid4())}, "episode_id"),
    ],
)
def test_an_invalid_run_is_refused_naming_the_field_and_nothing_is_stored(
    client, patient, plan_episode, app, change, field
):
    body = {**RUN, "date": day(1), **change}
    body = {k: v for k, v in body.items() if v is not None}

    response = client.post("/api/v1/me/runs", json=body, headers=patient.headers)

    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert field in response.json["detail"]
    assert count(app, RunLog) == 0
    assert changes_of_type(app, "run") == []


def test_a_run_dated_today_anywhere_on_earth_is_not_in_the_future(client, patient, plan_episode):
    latest = latest_date_anywhere()

    run = log_run(client, patient, (TODAY - latest).days)
    assert run["date"] == latest.isoformat()

    # But its next-morning pain cannot be told yet.
    response = patch_run(client, patient, run["id"], {"pain_next_day": 1})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["pain_next_day"]


def test_patch_adds_next_day_pain_with_an_optional_if_match(client, patient, plan_episode, app):
    run = log_run(client, patient, 2)

    matched = patch_run(client, patient, run["id"], {"pain_next_day": 1}, if_match='"1"')
    assert matched.status_code == 200, matched.json
    assert matched.json["pain_next_day"] == 1
    assert matched.json["version"] == 2
    assert matched.headers["ETag"] == '"2"'

    stale = patch_run(client, patient, run["id"], {"pain_next_day": 3}, if_match='"1"')
    assert stale.status_code == 412

    without = patch_run(client, patient, run["id"], {"pain_next_day": 0, "notes": "Stiff"})
    assert without.status_code == 200
    assert (without.json["pain_next_day"], without.json["notes"]) == (0, "Stiff")
    assert without.json["version"] == 3

    run_id = uuid.UUID(run["id"])
    assert changes_of_type(app, "run") == [
        (run_id, "created", 1),
        (run_id, "updated", 2),
        (run_id, "updated", 3),
    ]


@pytest.mark.parametrize(
    "changes",
    [{}, {"pain_next_day": 11}, {"pain_next_day": "low"}, {"pain_during": 2}, {"date": day(3)}],
)
def test_an_invalid_patch_is_refused_and_changes_nothing(
    client, patient, plan_episode, app, changes
):
    run = log_run(client, patient, 2)

    response = patch_run(client, patient, run["id"], changes)

    assert response.status_code == 422
    after = client.get(f"/api/v1/me/runs/{run['id']}", headers=patient.headers).json
    assert after == run
    assert len(changes_of_type(app, "run")) == 1


def test_runs_of_a_closed_episode_are_not_changed(client, factory, patient, plan_episode):
    run = log_run(client, patient, 2)
    set_status(factory, plan_episode, "discharged")

    response = patch_run(client, patient, run["id"], {"pain_next_day": 0})

    assert response.status_code == 409


def test_a_patient_sees_and_changes_only_their_own_runs(client, factory, world, patient, app):
    ours = rtr_episode(client, factory, world.clinician, world.patient_id)
    post_plan(client, world.clinician, ours)
    other_patient_id = factory.patient(world.clinic_id)
    other = factory.user(world.clinic_id, "patient", patient_id=other_patient_id)
    theirs = rtr_episode(client, factory, world.clinician, other_patient_id)
    post_plan(client, world.clinician, theirs)
    mine = [log_run(client, patient, d)["id"] for d in (6, 4)]
    their_run = log_run(client, other, 3)

    listed = client.get("/api/v1/me/runs", headers=patient.headers)

    assert listed.status_code == 200
    assert [r["id"] for r in listed.json["items"]] == [mine[1], mine[0]]
    assert {r["episode_id"] for r in listed.json["items"]} == {ours}
    url = f"/api/v1/me/runs/{their_run['id']}"
    assert client.get(url, headers=patient.headers).status_code == 404
    refused = client.patch(url, json={"pain_next_day": 9}, headers=patient.headers)
    assert refused.status_code == 404
    assert refused.json["type"] == "/problems/not-found"
    assert client.get(url, headers=other.headers).json["pain_next_day"] is None
    # Their plan counts only their runs.
    assert get_plan(client, world.clinician, theirs)["runs_logged"] == 1


def test_list_is_newest_first_and_pages_with_a_cursor(client, patient, plan_episode):
    ids = [log_run(client, patient, d)["id"] for d in (9, 7, 5, 3, 1)]

    first = client.get("/api/v1/me/runs?limit=2", headers=patient.headers)
    assert first.status_code == 200
    assert [r["id"] for r in first.json["items"]] == [ids[4], ids[3]]
    assert first.json["next_cursor"]
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(
        "/api/v1/me/runs",
        query_string={"limit": 2, "cursor": first.json["next_cursor"]},
        headers=patient.headers,
    ).json
    assert [r["id"] for r in second["items"]] == [ids[2], ids[1]]
    third = client.get(
        "/api/v1/me/runs",
        query_string={"limit": 2, "cursor": second["next_cursor"]},
        headers=patient.headers,
    ).json
    assert [r["id"] for r in third["items"]] == [ids[0]]
    assert third["next_cursor"] is None

    bad = client.get("/api/v1/me/runs?cursor=nonsense", headers=patient.headers)
    assert bad.status_code == 422
    assert "cursor" in bad.json["errors"]


def test_listing_runs_costs_the_same_statements_for_2_or_30_runs(
    client, factory, world, patient, plan_episode, count_statements
):
    def add(days: range) -> None:
        with factory.session() as session:
            for days_ago in days:
                session.add(
                    RunLog(
                        clinic_id=world.clinic_id,
                        patient_id=world.patient_id,
                        episode_id=uuid.UUID(plan_episode),
                        date=TODAY - timedelta(days=days_ago),
                        phase=1,
                        walk_minutes=2,
                        run_minutes=3,
                        distance_km=1.6,
                        duration_minutes=20,
                        surface="road",
                        pain_during=1,
                    )
                )

    def statements_to_list(expected_rows: int) -> list[str]:
        client.get("/api/v1/me/runs", headers=patient.headers)  # the token is touched
        with count_statements() as counter:
            response = client.get("/api/v1/me/runs", headers=patient.headers)
        assert response.status_code == 200
        assert len(response.json["items"]) == expected_rows
        return list(counter.statements)

    add(range(2))
    few = statements_to_list(2)
    add(range(2, 30))
    many = statements_to_list(30)

    assert len(few) == len(many), (few, many)
    # the token, one page query, one audit insert for all rows
    assert len(many) == 3, "\n".join(s[:120] for s in many)


# --- Who may do what --------------------------------------------------------------------------


def test_staff_may_not_use_the_patient_app_routes(client, world, patient, plan_episode):
    run = log_run(client, patient, 2)
    for actor in (world.clinician, world.admin):
        requests = [
            client.get("/api/v1/me/runs", headers=actor.headers),
            client.post("/api/v1/me/runs", json={**RUN, "date": day(1)}, headers=actor.headers),
            client.get(f"/api/v1/me/runs/{run['id']}", headers=actor.headers),
            client.patch(
                f"/api/v1/me/runs/{run['id']}", json={"pain_next_day": 0}, headers=actor.headers
            ),
        ]
        assert [r.status_code for r in requests] == [403] * 4


def test_patients_may_not_use_the_staff_routes(client, world, patient, plan_episode, app):
    url = f"/api/v1/episodes/{plan_episode}"
    requests = [
        client.get(f"{url}/return-to-run", headers=patient.headers),
        client.get(f"{url}/run-plan", headers=patient.headers),
        client.post(f"{url}/run-plan", json={"start_date": day(0)}, headers=patient.headers),
    ]

    assert [r.status_code for r in requests] == [403] * 3
    assert count(app, RunPlan) == 1


def test_another_clinics_episode_is_not_found(client, world, plan_episode, app):
    url = f"/api/v1/episodes/{plan_episode}"
    headers = world.other_admin.headers
    requests = [
        client.get(f"{url}/return-to-run", headers=headers),
        client.get(f"{url}/run-plan", headers=headers),
        client.post(f"{url}/run-plan", json={"start_date": day(0)}, headers=headers),
    ]

    assert [r.status_code for r in requests] == [404] * 3
    assert {r.json["type"] for r in requests} == {"/problems/not-found"}
    assert count(app, RunPlan) == 1


def test_a_patient_of_another_clinic_cannot_reach_our_runs(
    client, factory, world, patient, plan_episode
):
    run = log_run(client, patient, 2)
    stranger = factory.user(world.other_clinic_id, "patient", patient_id=world.other_patient_id)

    assert client.get("/api/v1/me/runs", headers=stranger.headers).json["items"] == []
    url = f"/api/v1/me/runs/{run['id']}"
    assert client.get(url, headers=stranger.headers).status_code == 404
    assert client.patch(url, json={"pain_next_day": 0}, headers=stranger.headers).status_code == 404
    assert post_run(client, stranger, date=day(1)).status_code == 409


# --- Audit --------------------------------------------------------------------------------


def test_run_writes_and_reads_are_audited(client, world, patient, plan_episode):
    run = log_run(client, patient, 2)
    next_day_pain(client, patient, run["id"])
    client.get("/api/v1/me/runs", headers=patient.headers)
    client.get(f"/api/v1/me/runs/{run['id']}", headers=patient.headers)
    post_run(client, patient, date=day(1), surface="sand")
    get_plan(client, world.clinician, plan_episode)

    trail = audit_trail(client, world.admin, actor_id=str(patient.id))

    assert [(e["action"], e["resource_type"], e["outcome"], e["status_code"]) for e in trail] == [
        ("create", "run", "success", 201),
        ("update", "run", "success", 200),
        ("list", "run", "success", 200),
        ("read", "run", "success", 200),
        ("create", "run", "failure", 422),
    ]
    assert {e["resource_id"] for e in trail[:4]} == {run["id"]}
    assert {e["patient_id"] for e in trail[:4]} == {str(world.patient_id)}
    staff = audit_trail(client, world.admin, actor_id=str(world.clinician.id))
    assert [(e["action"], e["resource_type"]) for e in staff][-1] == ("read", "run_plan")
    assert staff[-1]["patient_id"] == str(world.patient_id)


# --- Goals ------------------------------------------------------------------------------------


def test_latest_run_metric_is_the_latest_runs_continuous_minutes(
    app, client, patient, plan_episode
):
    episode_id = uuid.UUID(plan_episode)

    def metric(code: str = "run.continuous_minutes") -> float | None:
        with app.app_context(), all_clinics(db.session):
            return latest_run_metric(episode_id, code)

    assert metric() is None
    log_run(client, patient, 6, walk_minutes=2, run_minutes=4, duration_minutes=24)
    assert metric() == 4
    log_run(client, patient, 2, phase=6, walk_minutes=0, run_minutes=22, duration_minutes=25)
    assert metric() == 22
    # An earlier date logged later is not the latest run.
    log_run(client, patient, 4, walk_minutes=1, run_minutes=4, duration_minutes=25)
    assert metric() == 22
    assert metric("plank.seconds") is None


def test_each_run_write_reevaluates_the_episodes_goals(client, patient, plan_episode, monkeypatch):
    import clinic.goals.service as goals

    calls: list[uuid.UUID] = []
    monkeypatch.setattr(goals, "reevaluate_goals", calls.append)

    run = log_run(client, patient, 2)
    next_day_pain(client, patient, run["id"])

    assert calls == [uuid.UUID(plan_episode)] * 2
