"""Episodes of care through the API: open, validate, read, update, list, feed and audit."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics
from clinic.episodes.diagnoses import DIAGNOSES
from clinic.episodes.models import Diagnosis, Episode, Transition
from clinic.extensions import db

HISTORY = {
    "pain_location": ["lateral", "deep_groin"],
    "pain_type": ["aching", "sharp"],
    "pain_onset": "hours_after",
    "aggravating_factors": ["stairs", "lying_on_side", "running"],
    "accompanying_symptoms": ["stiffness", "clicking"],
    "symptom_duration_weeks": 6,
    "running": {
        "weekly_distance_km": 42.5,
        "runs_per_week": 4,
        "high_intensity_sessions_per_week": 1,
        "rest_days_per_week": 2,
        "usual_surfaces": ["road", "trail"],
        "recent_volume_change_percent": 30,
    },
    "footwear": {"shoe_distance_km": 650, "last_replaced": "2025-09-01"},
    "previous_injuries": [{"description": "Left ankle sprain", "year": 2019, "side": "left"}],
    "notes": "Training for a spring marathon; pain since adding hill repeats.",
}

NEW_EPISODE = {
    "title": "Right lateral hip pain, 2026",
    "side": "right",
    "onset_date": "2026-09-15",
    "history": HISTORY,
    "diagnoses": [
        {"code": "gluteal_tendinopathy", "side": "right", "note": "Tender greater trochanter"},
        {"code": "trochanteric_bursitis", "side": "right"},
    ],
}


def url_for_patient(patient_id) -> str:
    return f"/api/v1/patients/{patient_id}/episodes"


def open_episode(client, actor, patient_id, **overrides):
    response = client.post(
        url_for_patient(patient_id), json={**NEW_EPISODE, **overrides}, headers=actor.headers
    )
    assert response.status_code == 201, response.json
    return response.json


def count_episode_rows(app) -> tuple[int, int]:
    with app.app_context(), all_clinics(db.session):
        episodes = db.session.scalar(select(func.count()).select_from(Episode))
        diagnoses = db.session.scalar(select(func.count()).select_from(Diagnosis))
        return episodes, diagnoses


def changes_for(app, resource_id: str) -> list[tuple[str, str, int]]:
    with app.app_context(), all_clinics(db.session):
        rows = db.session.execute(
            select(Change.resource_type, Change.action, Change.version)
            .where(Change.resource_id == uuid.UUID(resource_id))
            .order_by(Change.seq)
        )
        return [tuple(r) for r in rows]


def changes_for_type(app, resource_type: str) -> list[tuple[str, int]]:
    with app.app_context(), all_clinics(db.session):
        rows = db.session.execute(
            select(Change.action, Change.version)
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


# --- Create ---------------------------------------------------------------------------------


def test_create_opens_the_episode_in_intake_with_etag_and_location(client, world, app):
    response = client.post(
        url_for_patient(world.patient_id), json=NEW_EPISODE, headers=world.clinician.headers
    )
    assert response.status_code == 201
    body = response.json
    uuid.UUID(body["id"])
    assert body["patient_id"] == str(world.patient_id)
    assert body["title"] == NEW_EPISODE["title"]
    assert body["side"] == "right"
    assert body["onset_date"] == "2026-09-15"
    assert body["status"] == "intake"
    assert body["held_from"] is None
    assert body["closed_at"] is None
    assert body["allowed_transitions"] == ["assessed", "on_hold", "cancelled"]
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/episodes/{body['id']}"
    # The history comes back exactly as sent (numbers compare equal as floats).
    assert body["history"] == HISTORY
    assert set(body["history"]) == set(HISTORY)
    assert body["history"]["running"] == HISTORY["running"]
    # Diagnoses keep their order, get an id and their display name; note null when absent.
    diagnoses = body["diagnoses"]
    assert [(d["code"], d["side"], d["note"]) for d in diagnoses] == [
        ("gluteal_tendinopathy", "right", "Tender greater trochanter"),
        ("trochanteric_bursitis", "right", None),
    ]
    assert [d["display"] for d in diagnoses] == [
        "Gluteal tendinopathy",
        "Trochanteric bursitis",
    ]
    assert all(d["display"] == DIAGNOSES[d["code"]] for d in diagnoses)
    assert len({uuid.UUID(d["id"]) for d in diagnoses}) == 2
    assert count_episode_rows(app) == (1, 2)

    read = client.get(response.headers["Location"], headers=world.clinician.headers)
    assert read.status_code == 200
    assert read.json == body
    assert read.headers["ETag"] == '"1"'


def test_minimal_episode_has_empty_history_and_no_diagnoses(client, world):
    body = open_episode(
        client,
        world.clinician,
        world.patient_id,
        **{"history": {}, "diagnoses": []},
    )
    assert body["history"] == {}
    assert body["diagnoses"] == []
    minimal = client.post(
        url_for_patient(world.patient_id),
        json={"title": "Left groin pain", "side": "left"},
        headers=world.clinician.headers,
    )
    assert minimal.status_code == 201
    assert minimal.json["history"] == {}
    assert minimal.json["diagnoses"] == []
    assert minimal.json["onset_date"] is None
    assert minimal.json["status"] == "intake"


def test_an_admin_may_open_an_episode_too(client, world):
    body = open_episode(client, world.admin, world.patient_id)
    assert body["status"] == "intake"


def _with_history(**changes):
    history = copy.deepcopy(HISTORY)
    history.update(changes)
    return {"history": history}


def _future_day() -> str:
    return (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"side": "middle"}, "side"),
        ({"side": None}, "side"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        (_with_history(pain_location=["lateral", "knee"]), "history.pain_location.1"),
        (_with_history(pain_type=["burning"]), "history.pain_type.0"),
        (_with_history(pain_onset="next_morning"), "history.pain_onset"),
        (_with_history(aggravating_factors=["juggling"]), "history.aggravating_factors.0"),
        (_with_history(aggravating_factors=["stairs", "stairs"]), "history.aggravating_factors"),
        (_with_history(pain_location=["lateral", "lateral"]), "history.pain_location"),
        (_with_history(accompanying_symptoms=["numbness"]), "history.accompanying_symptoms.0"),
        (_with_history(symptom_duration_weeks=-1), "history.symptom_duration_weeks"),
        (_with_history(favourite_colour="red"), "history.favourite_colour"),
        (
            _with_history(running={**HISTORY["running"], "runs_per_week": 22}),
            "history.running.runs_per_week",
        ),
        (
            _with_history(running={**HISTORY["running"], "runs_per_week": -1}),
            "history.running.runs_per_week",
        ),
        (_with_history(running={"cadence": 170}), "history.running.cadence"),
        (_with_history(footwear={"shoe_distance_km": 5001}), "history.footwear.shoe_distance_km"),
        (
            _with_history(previous_injuries=[{"year": 2019}]),
            "history.previous_injuries.0.description",
        ),
        ({"onset_date": "2999-01-01"}, "onset_date"),
        ({"onset_date": "not-a-date"}, "onset_date"),
        ({"diagnoses": [{"code": "broken_heart", "side": "right"}]}, "diagnoses.0.code"),
        ({"diagnoses": [{"code": "labral_tear", "side": "up"}]}, "diagnoses.0.side"),
        ({"diagnoses": [{"code": "labral_tear"}]}, "diagnoses.0.side"),
        (
            {"diagnoses": [{"code": "labral_tear", "side": "right", "snomed": "1"}]},
            "diagnoses.0.snomed",
        ),
        (
            {"diagnoses": [{"code": "labral_tear", "side": "right"}] * 11},
            "diagnoses",
        ),
        ({"status": "assessed"}, "status"),
        ({"patient_id": str(uuid.uuid4())}, "patient_id"),
    ],
)
def test_invalid_episode_is_refused_naming_the_field_and_nothing_is_stored(
    client, world, app, change, field
):
    response = client.post(
        url_for_patient(world.patient_id),
        json={**NEW_EPISODE, **change},
        headers=world.clinician.headers,
    )
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["type"] == "/problems/validation-error"
    assert field in response.json["errors"], response.json
    assert count_episode_rows(app) == (0, 0)
    assert changes_for_type(app, "episode") == []


def test_onset_date_tomorrow_is_in_the_future(client, world, app):
    response = client.post(
        url_for_patient(world.patient_id),
        json={**NEW_EPISODE, "onset_date": _future_day()},
        headers=world.clinician.headers,
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["onset_date"]
    assert count_episode_rows(app) == (0, 0)


def test_history_dates_are_stored_and_returned_as_iso_dates(client, world):
    history = {**HISTORY, "footwear": {"last_replaced": "2026-01-31"}}
    response = client.post(
        url_for_patient(world.patient_id),
        json={**NEW_EPISODE, "history": history},
        headers=world.clinician.headers,
    )
    assert response.status_code == 201, response.json
    assert response.json["history"]["footwear"] == history["footwear"]
    url = response.headers["Location"]
    changed = {"footwear": {"last_replaced": "2026-03-01"}}
    patched = client.patch(
        url, json={"history": changed}, headers={**world.clinician.headers, "If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.json
    assert client.get(url, headers=world.clinician.headers).json["history"] == changed


def test_shoe_replacement_date_in_the_future_is_refused(client, world, app):
    history = {**HISTORY, "footwear": {"last_replaced": _future_day()}}
    response = client.post(
        url_for_patient(world.patient_id),
        json={**NEW_EPISODE, "history": history},
        headers=world.clinician.headers,
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["history.footwear.last_replaced"]
    assert count_episode_rows(app) == (0, 0)


def test_ten_diagnoses_are_accepted_eleven_are_not(client, world):
    ten = [{"code": code, "side": "right"} for code in list(DIAGNOSES)[:10]]
    body = open_episode(client, world.clinician, world.patient_id, diagnoses=ten)
    assert [d["code"] for d in body["diagnoses"]] == list(DIAGNOSES)[:10]


def test_missing_required_fields_are_each_named(client, world, app):
    response = client.post(
        url_for_patient(world.patient_id), json={}, headers=world.clinician.headers
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"title", "side"}
    assert count_episode_rows(app) == (0, 0)


# --- Other clinics and unknown ids ------------------------------------------------------------


def test_episode_for_another_clinics_patient_is_not_found(client, world, app):
    url = url_for_patient(world.other_patient_id)
    created = client.post(url, json=NEW_EPISODE, headers=world.clinician.headers)
    assert created.status_code == 404
    assert created.json["detail"] == "No such patient."
    assert count_episode_rows(app) == (0, 0)
    listed = client.get(url, headers=world.clinician.headers)
    assert listed.status_code == 404
    unknown = client.post(
        url_for_patient(uuid.uuid4()), json=NEW_EPISODE, headers=world.clinician.headers
    )
    assert unknown.status_code == 404


def test_another_clinics_episode_is_not_found_for_every_verb(client, world, app):
    theirs = open_episode(client, world.other_admin, world.other_patient_id)
    url = f"/api/v1/episodes/{theirs['id']}"
    headers = {**world.clinician.headers, "If-Match": '"1"'}
    assert client.get(url, headers=headers).status_code == 404
    patched = client.patch(url, json={"title": "Mine now"}, headers=headers)
    assert patched.status_code == 404
    assert patched.json["detail"] == "No such episode."
    moved = client.post(
        f"{url}/transitions", json={"to": "cancelled", "reason": "x"}, headers=headers
    )
    assert moved.status_code == 404
    assert client.get(f"{url}/transitions", headers=headers).status_code == 404
    # Theirs is untouched.
    again = client.get(url, headers=world.other_admin.headers).json
    assert (again["title"], again["status"], again["version"]) == (
        NEW_EPISODE["title"],
        "intake",
        1,
    )


def test_patients_cannot_use_staff_episode_routes(client, world, factory):
    patient_user = factory.user(world.clinic_id, "patient", patient_id=world.patient_id)
    response = client.get(url_for_patient(world.patient_id), headers=patient_user.headers)
    assert response.status_code == 403
    assert client.get(url_for_patient(world.patient_id)).status_code == 401


# --- Update ---------------------------------------------------------------------------------


def test_patch_needs_if_match_refuses_a_stale_one_and_bumps_the_version(client, world, app):
    episode = open_episode(client, world.clinician, world.patient_id)
    url = f"/api/v1/episodes/{episode['id']}"
    change = {"title": "Right hip pain after hill repeats"}

    missing = client.patch(url, json=change, headers=world.clinician.headers)
    assert missing.status_code == 428
    assert missing.headers["Content-Type"] == "application/problem+json"
    stale = client.patch(url, json=change, headers={**world.clinician.headers, "If-Match": '"7"'})
    assert stale.status_code == 412
    unchanged = client.get(url, headers=world.clinician.headers).json
    assert unchanged == episode

    ok = client.patch(url, json=change, headers={**world.clinician.headers, "If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.json["title"] == change["title"]
    assert ok.json["version"] == 2
    assert ok.headers["ETag"] == '"2"'
    # Everything not sent is kept.
    for field in ("side", "onset_date", "history", "diagnoses", "status"):
        assert ok.json[field] == episode[field], field
    again = client.patch(
        url, json={"title": "Older"}, headers={**world.clinician.headers, "If-Match": '"1"'}
    )
    assert again.status_code == 412
    assert client.get(url, headers=world.clinician.headers).json["title"] == change["title"]


def test_patch_replaces_history_and_diagnoses_as_a_whole(client, world):
    episode = open_episode(client, world.clinician, world.patient_id)
    url = f"/api/v1/episodes/{episode['id']}"
    new_history = {"pain_location": ["anterior"], "aggravating_factors": ["squatting"]}
    response = client.patch(
        url,
        json={
            "history": new_history,
            "diagnoses": [{"code": "fai_cam", "side": "both", "note": "Imaging pending"}],
            "onset_date": None,
            "side": "both",
        },
        headers={**world.clinician.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["history"] == new_history
    assert [(d["code"], d["display"], d["side"], d["note"]) for d in body["diagnoses"]] == [
        ("fai_cam", "Femoroacetabular impingement, cam type", "both", "Imaging pending")
    ]
    assert body["onset_date"] is None
    assert body["side"] == "both"
    assert body["version"] == 2
    assert client.get(url, headers=world.clinician.headers).json == body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"side": "middle"}, "side"),
        ({"title": None}, "title"),
        ({"status": "discharged"}, "status"),
        ({"history": {"pain_location": ["nowhere"]}}, "history.pain_location.0"),
        ({"diagnoses": [{"code": "nope", "side": "left"}]}, "diagnoses.0.code"),
    ],
)
def test_invalid_patch_is_refused_and_changes_nothing(client, world, change, field):
    episode = open_episode(client, world.clinician, world.patient_id)
    url = f"/api/v1/episodes/{episode['id']}"
    response = client.patch(
        url, json=change, headers={**world.clinician.headers, "If-Match": '"1"'}
    )
    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert client.get(url, headers=world.clinician.headers).json == episode


def test_patch_of_a_cancelled_episode_is_a_conflict(client, world):
    episode = open_episode(client, world.clinician, world.patient_id)
    url = f"/api/v1/episodes/{episode['id']}"
    cancelled = client.post(
        f"{url}/transitions",
        json={"to": "cancelled", "reason": "Opened twice by mistake"},
        headers=world.clinician.headers,
    )
    assert cancelled.status_code == 200
    assert cancelled.json["closed_at"] is not None
    response = client.patch(
        url, json={"title": "Too late"}, headers={**world.clinician.headers, "If-Match": '"2"'}
    )
    assert response.status_code == 409
    assert "cancelled" in response.json["detail"]
    assert client.get(url, headers=world.clinician.headers).json["title"] == episode["title"]


# --- List -----------------------------------------------------------------------------------


def test_list_shows_the_patients_episodes_oldest_first_and_pages(client, world):
    titles = ["First", "Second", "Third"]
    for title in titles:
        open_episode(client, world.clinician, world.patient_id, title=title)
    open_episode(client, world.other_admin, world.other_patient_id, title="Theirs")
    other_patient = client.post(
        "/api/v1/patients",
        json={
            "given_name": "Al",
            "family_name": "Other",
            "birth_date": "1985-01-01",
            "sex": "male",
        },
        headers=world.clinician.headers,
    ).json
    open_episode(client, world.clinician, other_patient["id"], title="Not this patient")

    seen = []
    url = url_for_patient(world.patient_id) + "?limit=2"
    while url:
        response = client.get(url, headers=world.clinician.headers)
        assert response.status_code == 200
        seen += [e["title"] for e in response.json["items"]]
        cursor = response.json["next_cursor"]
        if cursor:
            assert response.headers["Link"].endswith('>; rel="next"')
            url = url_for_patient(world.patient_id) + f"?limit=2&cursor={cursor}"
        else:
            assert "Link" not in response.headers
            url = None
    assert seen == titles


def test_list_of_a_patient_without_episodes_is_empty(client, world):
    response = client.get(url_for_patient(world.patient_id), headers=world.clinician.headers)
    assert response.status_code == 200
    assert response.json == {"items": [], "next_cursor": None}


def test_listing_costs_the_same_statements_for_2_or_50_episodes(
    client, factory, world, count_statements
):
    def add(n: int) -> None:
        start = datetime.now(UTC)
        with factory.session() as session:
            for i in range(n):
                episode = Episode(
                    clinic_id=world.clinic_id,
                    patient_id=world.patient_id,
                    title=f"Episode {i}",
                    side="right",
                    history={"pain_location": ["lateral"]},
                    status="intake",
                    created_at=start + timedelta(microseconds=i),
                )
                episode.diagnoses = [
                    Diagnosis(
                        clinic_id=world.clinic_id, position=p, code="labral_tear", side="right"
                    )
                    for p in range(2)
                ]
                session.add(episode)

    def statements_to_list(expected_rows: int) -> list[str]:
        url = url_for_patient(world.patient_id) + "?limit=200"
        client.get(url, headers=world.clinician.headers)  # the token is touched
        with count_statements() as counter:
            response = client.get(url, headers=world.clinician.headers)
        assert response.status_code == 200
        items = response.json["items"]
        assert len(items) == expected_rows
        assert all(len(e["diagnoses"]) == 2 for e in items)
        return list(counter.statements)

    add(2)
    few = statements_to_list(2)
    add(48)
    many = statements_to_list(50)
    assert len(few) == len(many), (few, many)
    # the token, the patient with its identifiers (joined), the page, its diagnoses
    # (one selectin for all episodes), one audit insert for all rows
    assert len(many) == 5, "\n".join(s[:120] for s in many)


# --- Change feed and audit --------------------------------------------------------------------


def test_create_update_and_transition_write_change_feed_rows(client, world, app):
    episode = open_episode(client, world.clinician, world.patient_id)
    url = f"/api/v1/episodes/{episode['id']}"
    assert changes_for(app, episode["id"]) == [("episode", "created", 1)]
    client.patch(
        url, json={"title": "Renamed"}, headers={**world.clinician.headers, "If-Match": '"1"'}
    )
    moved = client.post(
        f"{url}/transitions",
        json={"to": "on_hold", "reason": "Travelling for work"},
        headers=world.clinician.headers,
    )
    assert moved.status_code == 200
    assert changes_for(app, episode["id"]) == [
        ("episode", "created", 1),
        ("episode", "updated", 2),
        ("episode", "updated", 3),
    ]
    # A refused transition and a refused update leave no row.
    refused = client.post(
        f"{url}/transitions", json={"to": "assessed"}, headers=world.clinician.headers
    )
    assert refused.status_code == 409
    client.patch(
        url, json={"side": "middle"}, headers={**world.clinician.headers, "If-Match": '"3"'}
    )
    assert len(changes_for(app, episode["id"])) == 3
    with app.app_context(), all_clinics(db.session):
        clinic_ids = set(
            db.session.scalars(
                select(Change.clinic_id).where(Change.resource_id == uuid.UUID(episode["id"]))
            )
        )
    assert clinic_ids == {world.clinic_id}


def test_episode_reads_and_writes_are_audited(client, world):
    episode = open_episode(client, world.clinician, world.patient_id)
    url = f"/api/v1/episodes/{episode['id']}"
    client.get(url, headers=world.clinician.headers)
    client.patch(
        url, json={"title": "Audited"}, headers={**world.clinician.headers, "If-Match": '"1"'}
    )
    client.post(
        f"{url}/transitions",
        json={"to": "on_hold", "reason": "Holiday"},
        headers=world.clinician.headers,
    )
    client.get(url_for_patient(world.patient_id), headers=world.clinician.headers)
    client.get(f"{url}/transitions", headers=world.clinician.headers)
    client.post(f"{url}/transitions", json={"to": "assessed"}, headers=world.clinician.headers)

    trail = audit_trail(client, world.admin, actor_id=str(world.clinician.id))
    assert [(e["action"], e["resource_type"], e["outcome"], e["status_code"]) for e in trail] == [
        ("create", "episode", "success", 201),
        ("read", "episode", "success", 200),
        ("update", "episode", "success", 200),
        ("transition", "episode", "success", 200),
        ("list", "episode", "success", 200),
        ("read", "episode_transition", "success", 200),
        ("create", "episode", "failure", 409),
    ]
    assert {e["resource_id"] for e in trail} == {episode["id"]}
    assert {e["patient_id"] for e in trail[:-1]} == {str(world.patient_id)}
    assert {e["actor_role"] for e in trail} == {"clinician"}
    assert trail[3]["path"] == f"{url}/transitions"
    # The other clinic's admin sees none of it.
    assert audit_trail(client, world.other_admin, patient_id=str(world.patient_id)) == []


def test_transition_rows_are_kept_per_clinic(client, world, app):
    ours = open_episode(client, world.clinician, world.patient_id)
    theirs = open_episode(client, world.other_admin, world.other_patient_id)
    for actor, episode in ((world.clinician, ours), (world.other_admin, theirs)):
        response = client.post(
            f"/api/v1/episodes/{episode['id']}/transitions",
            json={"to": "cancelled", "reason": "Duplicate"},
            headers=actor.headers,
        )
        assert response.status_code == 200
    with app.app_context(), all_clinics(db.session):
        rows = db.session.execute(select(Transition.episode_id, Transition.clinic_id)).all()
    assert sorted((str(e), c) for e, c in rows) == sorted(
        [(ours["id"], world.clinic_id), (theirs["id"], world.other_clinic_id)]
    )
