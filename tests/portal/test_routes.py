"""The patient portal: invitations, activation, the patient's program, session logs, adherence."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics
from clinic.exercises.models import Exercise
from clinic.exercises.service import seed_catalogue
from clinic.extensions import db
from clinic.portal.models import ExerciseLog, PortalInvitation
from clinic.portal.service import adherence_percent
from clinic.programs.models import Program
from clinic.users.models import User

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
PASSWORD = "a long enough password"


# --- Helpers ----------------------------------------------------------------------------------


def today() -> date:
    return datetime.now(UTC).date()


def days_ago(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()


def invite(client, actor, patient_id, **body):
    return client.post(
        f"/api/v1/patients/{patient_id}/portal-invitations",
        json=body or None,
        headers=actor.headers,
    )


def invitation(client, actor, patient_id, **body) -> dict:
    response = invite(client, actor, patient_id, **body)
    assert response.status_code == 201, response.json
    return response.json


def activate(client, code, email="runner@example.test", password=PASSWORD):
    return client.post(
        "/api/v1/auth/patient-activation",
        json={"code": code, "email": email, "password": password},
    )


def login(client, email, password=PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def exercise_ids(factory, clinic_id) -> dict[str, str]:
    with factory.session() as session:
        seed_catalogue(clinic_id)
        rows = session.execute(
            select(Exercise.slug, Exercise.id).where(Exercise.clinic_id == clinic_id)
        )
        return {slug: str(exercise_id) for slug, exercise_id in rows}


def open_episode(client, actor, patient_id) -> dict:
    response = client.post(
        f"/api/v1/patients/{patient_id}/episodes",
        json={"title": "Right lateral hip pain", "side": "right"},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.json
    return response.json


def item(exercise_id, **changes) -> dict:
    return {
        "exercise_id": exercise_id,
        "sets": 3,
        "reps": 12,
        "times_per_day": 1,
        "days_per_week": 7,
        **changes,
    }


def publish_program(client, actor, episode_id, items, start_date=None, **body) -> dict:
    created = client.post(
        f"/api/v1/episodes/{episode_id}/programs",
        json={"start_date": start_date or days_ago(6), "items": items, **body},
        headers=actor.headers,
    )
    assert created.status_code == 201, created.json
    published = client.post(f"/api/v1/programs/{created.json['id']}/publish", headers=actor.headers)
    assert published.status_code == 200, published.json
    return published.json


def log(client, headers, program, item_ids=None, **changes):
    body = {
        "date": today().isoformat(),
        "program_id": program["id"],
        "items": [
            {"program_item_id": i, "sets_completed": 3}
            for i in (item_ids or [i["id"] for i in program["items"]])
        ],
        "pain_nrs": 2,
        "rpe": 5,
        "notes": "Clamshells felt easier.",
        **changes,
    }
    return client.post("/api/v1/me/exercise-logs", json=body, headers=headers)


def count(app, model) -> int:
    with app.app_context(), all_clinics(db.session):
        return db.session.scalar(select(func.count()).select_from(model))


def everything_stored(app) -> str:
    """Every row of every table as text, read past the tenancy scoping."""
    with app.app_context(), db.engine.connect() as connection:
        return "\n".join(
            repr(row)
            for table in db.metadata.sorted_tables
            for row in connection.execute(select(table))
        )


@pytest.fixture
def exercises(factory, world) -> dict[str, str]:
    return exercise_ids(factory, world.clinic_id)


@pytest.fixture
def episode(client, world) -> dict:
    return open_episode(client, world.clinician, world.patient_id)


@pytest.fixture
def patient(factory, world):
    return factory.user(world.clinic_id, "patient", patient_id=world.patient_id)


@pytest.fixture
def program(client, world, exercises, episode) -> dict:
    return publish_program(
        client,
        world.clinician,
        episode["id"],
        [
            item(exercises["clamshell"]),
            item(exercises["side-plank"], reps=None, hold_seconds=30, notes="Knees bent at first"),
        ],
    )


# --- Invitations ------------------------------------------------------------------------------


def test_an_invitation_is_a_typeable_code_that_expires_in_seven_days(client, world):
    before = datetime.now(UTC)
    response = invite(client, world.clinician, world.patient_id)
    assert response.status_code == 201, response.json
    body = response.json
    assert CODE.match(body["code"]), body["code"]
    assert body["patient_id"] == str(world.patient_id)
    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(days=7) <= expires <= datetime.now(UTC) + timedelta(days=7)
    longer = invitation(client, world.admin, world.patient_id, expires_in_days=30)
    assert datetime.fromisoformat(longer["expires_at"]) > expires + timedelta(days=22)
    assert longer["code"] != body["code"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 31}, "expires_in_days"),
        ({"expires_in_days": "7"}, "expires_in_days"),
        ({"code": "ABCD-EFGH-JKMN-PQRS"}, "code"),
    ],
)
def test_an_invalid_invitation_request_is_refused(client, app, world, body, field):
    response = invite(client, world.clinician, world.patient_id, **body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert count(app, PortalInvitation) == 0


def test_the_code_is_stored_only_as_a_keyed_hash(client, app, world):
    code = invitation(client, world.clinician, world.patient_id)["code"]
    with app.app_context(), all_clinics(db.session):
        stored = db.session.scalars(select(PortalInvitation)).one()
    assert re.fullmatch(r"[0-9a-f]{64}", stored.code_hash)
    text = everything_stored(app)
    for form in (code, code.replace("-", ""), code.lower(), code.replace("-", "").lower()):
        assert form not in text


def test_an_idempotent_retry_does_not_store_or_show_the_code_again(client, app, world):
    headers = {**world.clinician.headers, "Idempotency-Key": "invite-1"}
    url = f"/api/v1/patients/{world.patient_id}/portal-invitations"
    first = client.post(url, json={}, headers=headers)
    assert first.status_code == 201
    code = first.json["code"]
    assert code.replace("-", "") not in everything_stored(app).replace("-", "")
    again = client.post(url, json={}, headers=headers)
    assert again.status_code == 409
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.mimetype == "application/problem+json"
    assert "shown only once" in again.json["detail"]
    assert count(app, PortalInvitation) == 1
    assert activate(client, code).status_code == 201


def test_a_new_invitation_voids_the_earlier_unused_one(client, world):
    old = invitation(client, world.clinician, world.patient_id)["code"]
    new = invitation(client, world.clinician, world.patient_id)["code"]
    refused = activate(client, old)
    assert refused.status_code == 422
    assert activate(client, new).status_code == 201


def test_invitations_for_unknown_or_another_clinics_patients_are_404(client, app, world):
    for patient_id in (world.other_patient_id, uuid.uuid4()):
        response = invite(client, world.clinician, patient_id)
        assert response.status_code == 404
        assert response.json["type"] == "/problems/not-found"
    assert count(app, PortalInvitation) == 0


# --- Activation -------------------------------------------------------------------------------


def test_activation_creates_a_patient_account_that_logs_in(client, app, world):
    code = invitation(client, world.clinician, world.patient_id)["code"]
    response = activate(client, code, email="Runner@Example.test")
    assert response.status_code == 201, response.json
    assert response.json == {"patient_id": str(world.patient_id), "email": "runner@example.test"}
    headers = login(client, "runner@example.test")
    me = client.get("/api/v1/me", headers=headers).json
    assert me["role"] == "patient"
    assert me["patient_id"] == str(world.patient_id)
    assert me["clinic_id"] == str(world.clinic_id)
    with app.app_context(), all_clinics(db.session):
        user = db.session.scalars(select(User).where(User.role == "patient")).one()
        assert user.clinic_id == world.clinic_id
        assert PASSWORD not in user.password_hash
        used = db.session.scalars(select(PortalInvitation)).one()
        assert used.used_at is not None


def test_a_code_is_forgiving_about_case_dashes_and_look_alikes(client, world):
    code = invitation(client, world.clinician, world.patient_id)["code"]
    typed = " ".join(code.replace("-", "").lower()).replace("0", "o").replace("1", "l")
    assert activate(client, typed).status_code == 201


def _refusal(response) -> tuple[int, str, str, str]:
    body = response.json
    return response.status_code, body["type"], body["detail"], repr(body["errors"])


def test_unknown_used_and_expired_codes_get_one_and_the_same_answer(client, app, world, factory):
    unknown = activate(client, "ABCD-EFGH-JKMN-PQRS", email="a@example.test")
    garbage = activate(client, "not a code", email="b@example.test")

    used_code = invitation(client, world.clinician, world.patient_id)["code"]
    assert activate(client, used_code, email="c@example.test").status_code == 201
    used = activate(client, used_code, email="d@example.test")

    other_patient = factory.patient(world.clinic_id)
    expired_code = invitation(client, world.clinician, other_patient)["code"]
    with factory.session() as session:
        session.execute(
            update(PortalInvitation)
            .where(PortalInvitation.patient_id == other_patient)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    expired = activate(client, expired_code, email="e@example.test")

    answers = {_refusal(r) for r in (unknown, garbage, used, expired)}
    assert len(answers) == 1
    status, _, _, _ = answers.pop()
    assert status == 422
    assert set(unknown.json["errors"]) == {"code"}
    assert unknown.mimetype == "application/problem+json"
    with app.app_context(), all_clinics(db.session):
        assert (
            db.session.scalar(select(func.count()).select_from(User).where(User.role == "patient"))
            == 1
        )


def test_a_taken_email_is_409_and_leaves_the_code_usable(client, world):
    code = invitation(client, world.clinician, world.patient_id)["code"]
    taken = activate(client, code, email=world.clinician.email)
    assert taken.status_code == 409
    assert "email" in taken.json["errors"]
    assert activate(client, code, email="free@example.test").status_code == 201


def test_a_patient_with_an_account_gets_no_invitation(client, app, world, patient):
    refused = invite(client, world.clinician, world.patient_id)
    assert refused.status_code == 409
    assert "already has an app account" in refused.json["detail"]
    assert count(app, PortalInvitation) == 0


def test_an_invitation_issued_before_the_account_cannot_open_a_second(client, world, factory):
    code = invitation(client, world.clinician, world.patient_id)["code"]
    factory.user(world.clinic_id, "patient", patient_id=world.patient_id)
    response = activate(client, code)
    assert response.status_code == 409
    assert "already has an app account" in response.json["detail"]


def test_an_invalid_activation_names_the_fields(client, world):
    response = client.post(
        "/api/v1/auth/patient-activation",
        json={"code": "", "email": "nope", "password": "short", "role": "admin"},
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"code", "email", "password", "role"}


def test_failed_activations_are_throttled(client, world):
    code = invitation(client, world.clinician, world.patient_id)["code"]
    for _ in range(5):  # the test app allows 5 failures per account
        assert activate(client, "ABCD-EFGH-JKMN-PQRS").status_code == 422
    throttled = activate(client, code)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert activate(client, code, email="someone.else@example.test").status_code == 201


def test_activation_is_audited_with_the_new_account_as_actor(client, world):
    created = invitation(client, world.clinician, world.patient_id)
    activate(client, created["code"])
    trail = client.get(
        "/api/v1/audit-events", query_string={"limit": 200}, headers=world.admin.headers
    ).json["items"]
    events = {(e["action"], e["resource_type"], e["actor_role"]) for e in trail}
    assert {
        ("create", "portal_invitation", "clinician"),
        ("activate", "portal_invitation", "patient"),
        ("create", "patient_account", "patient"),
    } <= events
    assert {e["patient_id"] for e in trail} == {str(world.patient_id)}


# --- The patient's program --------------------------------------------------------------------


def test_activation_then_login_then_the_program_with_instructions(client, world, program):
    code = invitation(client, world.clinician, world.patient_id)["code"]
    assert activate(client, code).status_code == 201
    headers = login(client, "runner@example.test")
    response = client.get("/api/v1/me/program", headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["id"] == program["id"]
    assert body["start_date"] == days_ago(6)
    clamshell, side_plank = body["items"]
    assert clamshell["id"] == program["items"][0]["id"]
    assert clamshell["exercise"]["name"] == "Clamshell"
    assert clamshell["exercise"]["instructions"].startswith("Lie on one side")
    assert clamshell["exercise"]["target_muscles"] == ["gluteus medius", "hip external rotators"]
    assert (clamshell["sets"], clamshell["reps"], clamshell["per_side"]) == (3, 12, True)
    assert (side_plank["hold_seconds"], side_plank["reps"]) == (30, None)
    assert side_plank["notes"] == "Knees bent at first"
    assert set(clamshell) == {
        "id",
        "exercise",
        "sets",
        "reps",
        "hold_seconds",
        "per_side",
        "times_per_day",
        "days_per_week",
        "notes",
    }
    assert set(clamshell["exercise"]) == {
        "id",
        "name",
        "category",
        "instructions",
        "equipment",
        "target_muscles",
    }


def test_no_published_program_is_404(client, world, exercises, episode, patient):
    assert client.get("/api/v1/me/program", headers=patient.headers).status_code == 404
    client.post(
        f"/api/v1/episodes/{episode['id']}/programs",
        json={"start_date": days_ago(1), "items": [item(exercises["plank"])]},
        headers=world.clinician.headers,
    )
    response = client.get("/api/v1/me/program", headers=patient.headers)  # a draft is not shown
    assert response.status_code == 404
    assert response.json["type"] == "/problems/not-found"


def test_the_program_is_the_latest_published_version(
    client, world, exercises, episode, program, patient
):
    newer = publish_program(client, world.clinician, episode["id"], [item(exercises["bird-dog"])])
    body = client.get("/api/v1/me/program", headers=patient.headers).json
    assert body["id"] == newer["id"]
    assert [i["exercise"]["name"] for i in body["items"]] == ["Bird dog"]


def test_the_program_of_a_closed_episode_is_not_shown(client, world, episode, program, patient):
    client.post(
        f"/api/v1/episodes/{episode['id']}/transitions",
        json={"to": "cancelled", "reason": "Moved away."},
        headers=world.clinician.headers,
    )
    assert client.get("/api/v1/me/program", headers=patient.headers).status_code == 404


def test_a_patient_sees_only_their_own_program(client, world, factory, exercises, program):
    other_patient = factory.patient(world.clinic_id)
    other_user = factory.user(world.clinic_id, "patient", patient_id=other_patient)
    assert client.get("/api/v1/me/program", headers=other_user.headers).status_code == 404


# --- Session logs -----------------------------------------------------------------------------


def test_a_patient_logs_a_session_of_their_program(client, app, world, program, patient):
    response = log(client, patient.headers, program)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["date"] == today().isoformat()
    assert body["program_id"] == program["id"]
    assert body["items"] == [
        {"program_item_id": i["id"], "sets_completed": 3} for i in program["items"]
    ]
    assert (body["pain_nrs"], body["rpe"], body["notes"]) == (2, 5, "Clamshells felt easier.")
    partial = log(
        client,
        patient.headers,
        program,
        item_ids=[program["items"][1]["id"]],
        date=days_ago(6),
        pain_nrs=None,
        rpe=None,
        notes=None,
    )
    assert partial.status_code == 201, partial.json
    assert count(app, ExerciseLog) == 2
    listed = client.get("/api/v1/me/exercise-logs", headers=patient.headers).json
    assert [entry["id"] for entry in listed["items"]] == [body["id"], partial.json["id"]]
    with app.app_context(), all_clinics(db.session):
        changes = db.session.execute(
            select(Change.resource_type, Change.action).where(
                Change.resource_id == uuid.UUID(body["id"])
            )
        ).all()
    assert [tuple(c) for c in changes] == [("exercise_log", "created")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": (date.today() + timedelta(days=3)).isoformat()}, "date"),
        ({"date": days_ago(7)}, "date"),  # the program starts 6 days ago
        ({"date": None}, "date"),
        ({"program_id": str(uuid.uuid4())}, "program_id"),
        ({"program_id": None}, "program_id"),
        ({"items": []}, "items"),
        (
            {"items": [{"program_item_id": str(uuid.uuid4()), "sets_completed": 1}]},
            "items.0.program_item_id",
        ),
        ({"items": [{"program_item_id": "x", "sets_completed": 1}]}, "items.0.program_item_id"),
        ({"items": [{"sets_completed": 1}]}, "items.0.program_item_id"),
        ({"pain_nrs": 11}, "pain_nrs"),
        ({"pain_nrs": -1}, "pain_nrs"),
        ({"rpe": 11}, "rpe"),
        ({"rpe": 5.5}, "rpe"),
        ({"notes": "x" * 2001}, "notes"),
        ({"mood": "great"}, "mood"),
        ({"notes": "a\x00b"}, "notes"),
    ],
)
def test_an_invalid_log_is_refused_naming_the_field_and_nothing_is_stored(
    client, app, program, patient, changes, field
):
    response = log(client, patient.headers, program, **changes)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert count(app, ExerciseLog) == 0


@pytest.mark.parametrize("sets_completed", [-1, 21, "3", None])
def test_sets_completed_is_0_to_20(client, app, program, patient, sets_completed):
    response = log(
        client,
        patient.headers,
        program,
        items=[{"program_item_id": program["items"][0]["id"], "sets_completed": sets_completed}],
    )
    assert response.status_code == 422
    assert "items.0.sets_completed" in response.json["errors"]
    assert count(app, ExerciseLog) == 0


def test_items_may_appear_once_and_zero_sets_is_fine(client, app, program, patient):
    first = program["items"][0]["id"]
    twice = log(
        client,
        patient.headers,
        program,
        items=[{"program_item_id": first, "sets_completed": 1}] * 2,
    )
    assert twice.status_code == 422
    assert "items" in twice.json["errors"]
    zero = log(
        client, patient.headers, program, items=[{"program_item_id": first, "sets_completed": 0}]
    )
    assert zero.status_code == 201


def test_only_the_current_programs_items_may_be_logged(
    client, app, world, exercises, episode, program, patient
):
    newer = publish_program(client, world.clinician, episode["id"], [item(exercises["bird-dog"])])
    stale_program = log(client, patient.headers, program)
    assert stale_program.status_code == 422
    assert set(stale_program.json["errors"]) == {"program_id"}
    old_items_new_program = log(
        client,
        patient.headers,
        newer,
        item_ids=[newer["items"][0]["id"], program["items"][0]["id"]],
    )
    assert old_items_new_program.status_code == 422
    assert set(old_items_new_program.json["errors"]) == {"items.1.program_item_id"}
    assert count(app, ExerciseLog) == 0
    assert log(client, patient.headers, newer).status_code == 201


def test_another_patients_program_cannot_be_logged(client, app, world, factory, exercises, program):
    other_patient = factory.patient(world.clinic_id)
    other_user = factory.user(world.clinic_id, "patient", patient_id=other_patient)
    other_episode = open_episode(client, world.clinician, other_patient)
    their_program = publish_program(
        client, world.clinician, other_episode["id"], [item(exercises["plank"])]
    )
    # my program's id with my items, sent by someone else
    response = log(client, other_user.headers, program)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"program_id"}
    # their own program with my item
    mixed = log(client, other_user.headers, their_program, item_ids=[program["items"][0]["id"]])
    assert mixed.status_code == 422
    assert set(mixed.json["errors"]) == {"items.0.program_item_id"}
    assert count(app, ExerciseLog) == 0


def test_a_patient_lists_only_their_own_logs_newest_first(
    client, world, factory, exercises, program, patient
):
    mine = [log(client, patient.headers, program, date=days_ago(n)).json["id"] for n in (3, 0, 5)]
    other_patient = factory.patient(world.clinic_id)
    other_user = factory.user(world.clinic_id, "patient", patient_id=other_patient)
    other_episode = open_episode(client, world.clinician, other_patient)
    theirs = publish_program(
        client, world.clinician, other_episode["id"], [item(exercises["plank"])]
    )
    assert log(client, other_user.headers, theirs).status_code == 201

    listed = client.get("/api/v1/me/exercise-logs", headers=patient.headers).json
    assert [entry["id"] for entry in listed["items"]] == [mine[1], mine[0], mine[2]]
    page = client.get("/api/v1/me/exercise-logs?limit=2", headers=patient.headers)
    assert [entry["id"] for entry in page.json["items"]] == [mine[1], mine[0]]
    assert 'rel="next"' in page.headers["Link"]
    rest = client.get(
        f"/api/v1/me/exercise-logs?limit=2&cursor={page.json['next_cursor']}",
        headers=patient.headers,
    ).json
    assert [entry["id"] for entry in rest["items"]] == [mine[2]]
    assert rest["next_cursor"] is None
    assert (
        len(client.get("/api/v1/me/exercise-logs", headers=other_user.headers).json["items"]) == 1
    )


def test_listing_logs_costs_the_same_statements_for_2_or_30(
    client, app, world, factory, program, patient, count_statements
):
    def add(n: int) -> None:
        with factory.session() as session:
            for i in range(n):
                session.add(
                    ExerciseLog(
                        clinic_id=world.clinic_id,
                        patient_id=world.patient_id,
                        program_id=uuid.UUID(program["id"]),
                        date=today() - timedelta(days=i % 7),
                        items=[{"program_item_id": program["items"][0]["id"], "sets_completed": 3}],
                    )
                )

    def statements(expected: int) -> list[str]:
        url = "/api/v1/me/exercise-logs?limit=200"
        client.get(url, headers=patient.headers)
        with count_statements() as counter:
            response = client.get(url, headers=patient.headers)
        assert len(response.json["items"]) == expected
        return list(counter.statements)

    add(2)
    few = statements(2)
    add(28)
    many = statements(30)
    assert len(few) == len(many) == 3, many  # the token, the page, the audit


# --- Roles and clinics ------------------------------------------------------------------------


def test_a_patient_gets_403_on_staff_routes(client, world, episode, program, patient):
    responses = [
        client.get(f"/api/v1/episodes/{episode['id']}/adherence", headers=patient.headers),
        invite(client, patient, world.patient_id),
        client.get(f"/api/v1/episodes/{episode['id']}/programs", headers=patient.headers),
        client.get(f"/api/v1/programs/{program['id']}", headers=patient.headers),
        client.get(f"/api/v1/patients/{world.patient_id}", headers=patient.headers),
        client.get("/api/v1/exercises", headers=patient.headers),
    ]
    assert [r.status_code for r in responses] == [403] * 6


def test_staff_cannot_use_the_patient_routes(client, world, program):
    responses = [
        client.get("/api/v1/me/program", headers=world.clinician.headers),
        client.get("/api/v1/me/exercise-logs", headers=world.admin.headers),
        log(client, world.clinician.headers, program),
    ]
    assert [r.status_code for r in responses] == [403] * 3


def test_another_clinics_episode_has_no_adherence_here(client, world):
    their_episode = open_episode(client, world.other_admin, world.other_patient_id)
    response = client.get(
        f"/api/v1/episodes/{their_episode['id']}/adherence", headers=world.clinician.headers
    )
    assert response.status_code == 404


# --- Adherence --------------------------------------------------------------------------------


def adherence(client, actor, episode_id, **query):
    response = client.get(
        f"/api/v1/episodes/{episode_id}/adherence", query_string=query, headers=actor.headers
    )
    assert response.status_code == 200, response.json
    return response.json


def test_five_of_seven_daily_sessions_is_71_4_percent(
    client, app, world, episode, program, patient
):
    for n in (0, 1, 2, 4, 6):
        assert log(client, patient.headers, program, date=days_ago(n)).status_code == 201
    body = adherence(client, world.clinician, episode["id"])
    assert body["episode_id"] == episode["id"]
    assert body["as_of"] == today().isoformat()
    week, month = body["windows"]
    assert week == {
        "window_days": 7,
        "start_date": days_ago(6),
        "end_date": today().isoformat(),
        "days_covered": 7,
        "prescribed_sessions": 7.0,
        "logged_sessions": 5,
        "adherence_percent": 71.4,
    }
    # the program began 6 days ago: the 28-day window has the same 7 days prescribed
    assert (month["window_days"], month["days_covered"], month["prescribed_sessions"]) == (
        28,
        7,
        7.0,
    )
    assert (month["logged_sessions"], month["adherence_percent"]) == (5, 71.4)
    only_three = adherence(client, world.clinician, episode["id"], window_days=3)["windows"]
    assert [
        (w["window_days"], w["prescribed_sessions"], w["logged_sessions"], w["adherence_percent"])
        for w in only_three
    ] == [(3, 3.0, 3, 100.0)]
    with app.app_context(), all_clinics(db.session):
        assert adherence_percent(uuid.UUID(episode["id"]), 7) == 71.4
        assert adherence_percent(uuid.UUID(episode["id"])) == 71.4


def test_frequency_follows_the_most_frequent_item_and_is_capped_at_100(
    client, world, exercises, episode, patient
):
    program = publish_program(
        client,
        world.clinician,
        episode["id"],
        [
            item(exercises["glute-bridge"], times_per_day=1, days_per_week=3),
            item(exercises["clamshell"], times_per_day=2, days_per_week=7),
        ],
        start_date=days_ago(27),
    )
    for n in range(10):
        log(client, patient.headers, program, date=days_ago(n))
    week, month = adherence(client, world.clinician, episode["id"])["windows"]
    assert (week["prescribed_sessions"], week["logged_sessions"], week["adherence_percent"]) == (
        14.0,
        7,
        50.0,
    )
    assert (month["prescribed_sessions"], month["logged_sessions"], month["adherence_percent"]) == (
        56.0,
        10,
        17.9,
    )
    for _ in range(20):
        log(client, patient.headers, program, date=days_ago(0))
    week = adherence(client, world.clinician, episode["id"], window_days=7)["windows"][0]
    assert (week["logged_sessions"], week["adherence_percent"]) == (27, 100.0)


def test_three_days_a_week_prescribes_three_sessions_a_week(
    client, world, exercises, episode, patient
):
    program = publish_program(
        client,
        world.clinician,
        episode["id"],
        [item(exercises["glute-bridge"], days_per_week=3)],
        start_date=days_ago(30),
    )
    for n in (1, 3, 5, 8):
        log(client, patient.headers, program, date=days_ago(n))
    week, month = adherence(client, world.clinician, episode["id"])["windows"]
    assert (week["prescribed_sessions"], week["logged_sessions"], week["adherence_percent"]) == (
        3.0,
        3,
        100.0,
    )
    assert (month["prescribed_sessions"], month["logged_sessions"], month["adherence_percent"]) == (
        12.0,
        4,
        33.3,
    )


def test_a_superseded_version_counts_until_the_day_it_was_superseded(
    client, app, world, exercises, episode, patient, factory
):
    first = publish_program(
        client, world.clinician, episode["id"], [item(exercises["plank"])], start_date=days_ago(20)
    )
    for n in (10, 12):
        log(client, patient.headers, first, date=days_ago(n))
    second = publish_program(
        client,
        world.clinician,
        episode["id"],
        [item(exercises["bird-dog"], times_per_day=2)],
        start_date=days_ago(2),
    )
    # pretend the second version was published 3 days ago
    with factory.session() as session:
        three_days_ago = datetime.now(UTC) - timedelta(days=3)
        session.execute(
            update(Program)
            .where(Program.id == uuid.UUID(first["id"]))
            .values(superseded_at=three_days_ago)
        )
        session.execute(
            update(Program)
            .where(Program.id == uuid.UUID(second["id"]))
            .values(published_at=three_days_ago)
        )
    log(client, patient.headers, second, date=days_ago(1))
    (window,) = adherence(client, world.clinician, episode["id"], window_days=28)["windows"]
    # first: days 20..4 ago, once a day (17); the day 3 ago: nothing in force (the first was
    # superseded, the second starts 2 days ago); second: days 2..0 ago, twice a day (6)
    assert window["days_covered"] == 20
    assert window["prescribed_sessions"] == 23.0
    assert window["logged_sessions"] == 3
    assert window["adherence_percent"] == 13.0


def test_no_program_no_adherence(client, app, world, episode):
    week, month = adherence(client, world.clinician, episode["id"])["windows"]
    assert (week["prescribed_sessions"], week["logged_sessions"], week["adherence_percent"]) == (
        0.0,
        0,
        None,
    )
    assert month["adherence_percent"] is None
    with app.app_context(), all_clinics(db.session):
        assert adherence_percent(uuid.UUID(episode["id"])) is None


@pytest.mark.parametrize("window_days", ["0", "366", "seven", "7.5"])
def test_bad_windows_are_422(client, world, episode, window_days):
    response = client.get(
        f"/api/v1/episodes/{episode['id']}/adherence",
        query_string={"window_days": window_days},
        headers=world.clinician.headers,
    )
    assert response.status_code == 422
    assert "window_days" in response.json["errors"]


def test_program_reads_and_logs_are_audited(client, world, episode, program, patient):
    client.get("/api/v1/me/program", headers=patient.headers)
    created = log(client, patient.headers, program).json
    client.get("/api/v1/me/exercise-logs", headers=patient.headers)
    adherence(client, world.clinician, episode["id"])
    trail = client.get(
        "/api/v1/audit-events", query_string={"limit": 200}, headers=world.admin.headers
    ).json["items"]
    patient_events = [
        (e["action"], e["resource_type"], e["resource_id"])
        for e in trail
        if e["actor_id"] == str(patient.id)
    ]
    assert patient_events == [
        ("read", "program", program["id"]),
        ("create", "exercise_log", created["id"]),
        ("list", "exercise_log", created["id"]),
    ]
    assert ("read", "adherence", episode["id"]) in [
        (e["action"], e["resource_type"], e["resource_id"]) for e in trail
    ]
    assert {e["patient_id"] for e in trail} == {str(world.patient_id)}
