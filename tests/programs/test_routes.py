"""Home exercise programs through the API: drafts, validation, publishing, history."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics
from clinic.exercises.models import Exercise
from clinic.exercises.service import seed_catalogue
from clinic.extensions import db
from clinic.programs.models import Program, ProgramItem
from clinic.programs.service import program_facts

SLUGS = (
    "glute-bridge",
    "clamshell",
    "side-lying-leg-raise",
    "single-leg-deadlift",
    "plank",
    "side-plank",
    "bird-dog",
    "kneeling-hip-flexor-stretch",
)


# --- Helpers ----------------------------------------------------------------------------------


def open_episode(client, actor, patient_id) -> dict:
    response = client.post(
        f"/api/v1/patients/{patient_id}/episodes",
        json={"title": "Right lateral hip pain", "side": "right"},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.json
    return response.json


def seed(factory, clinic_id) -> dict[str, str]:
    with factory.session() as session:
        seed_catalogue(clinic_id)
        rows = session.execute(
            select(Exercise.slug, Exercise.id).where(Exercise.clinic_id == clinic_id)
        )
        return {slug: str(exercise_id) for slug, exercise_id in rows}


@pytest.fixture
def exercises(factory, world) -> dict[str, str]:
    return seed(factory, world.clinic_id)


@pytest.fixture
def episode(client, world) -> dict:
    return open_episode(client, world.clinician, world.patient_id)


def item(exercise_id: str, **changes) -> dict:
    body = {
        "exercise_id": exercise_id,
        "sets": 3,
        "reps": 12,
        "times_per_day": 1,
        "days_per_week": 7,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def draft_body(exercises: dict[str, str], count: int = 2, **changes) -> dict:
    body = {
        "start_date": "2026-03-02",
        "end_date": "2026-04-26",
        "notes": "Little and often; stop any exercise that makes the hip pain flare.",
        "items": [item(exercises[slug]) for slug in SLUGS[:count]],
    }
    body.update(changes)
    return body


def programs_url(episode_id) -> str:
    return f"/api/v1/episodes/{episode_id}/programs"


def create(client, actor, episode_id, body) -> dict:
    response = client.post(programs_url(episode_id), json=body, headers=actor.headers)
    assert response.status_code == 201, response.json
    return response.json


def publish(client, actor, program_id, **headers):
    return client.post(
        f"/api/v1/programs/{program_id}/publish", headers={**actor.headers, **headers}
    )


def published(client, actor, program_id) -> dict:
    response = publish(client, actor, program_id)
    assert response.status_code == 200, response.json
    return response.json


def patch(client, actor, program_id, changes, version):
    headers = {**actor.headers}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return client.patch(f"/api/v1/programs/{program_id}", json=changes, headers=headers)


def count_rows(app) -> tuple[int, int]:
    with app.app_context(), all_clinics(db.session):
        return (
            db.session.scalar(select(func.count()).select_from(Program)),
            db.session.scalar(select(func.count()).select_from(ProgramItem)),
        )


def changes_for(app, resource_id: str) -> list[tuple[str, int]]:
    with app.app_context(), all_clinics(db.session):
        rows = db.session.execute(
            select(Change.action, Change.version)
            .where(Change.resource_id == uuid.UUID(resource_id))
            .order_by(Change.seq)
        )
        return [tuple(r) for r in rows]


def cancel(client, actor, episode_id) -> None:
    response = client.post(
        f"/api/v1/episodes/{episode_id}/transitions",
        json={"to": "cancelled", "reason": "Moved abroad."},
        headers=actor.headers,
    )
    assert response.status_code == 200, response.json


# --- Drafts -----------------------------------------------------------------------------------


def test_a_draft_gets_number_one_item_ids_etag_and_location(client, app, world, exercises, episode):
    body = draft_body(exercises)
    body["items"][1] = item(exercises["side-plank"], reps=None, hold_seconds=30, notes="Knees bent")
    response = client.post(programs_url(episode["id"]), json=body, headers=world.clinician.headers)
    assert response.status_code == 201, response.json
    program = response.json
    assert program["number"] == 1
    assert program["status"] == "draft"
    assert program["episode_id"] == episode["id"]
    assert program["patient_id"] == str(world.patient_id)
    assert program["start_date"] == "2026-03-02"
    assert program["end_date"] == "2026-04-26"
    assert program["notes"] == body["notes"]
    assert program["published_at"] is None
    assert program["superseded_at"] is None
    assert program["warnings"] == []
    assert program["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/programs/{program['id']}"
    first, second = program["items"]
    assert len({uuid.UUID(first["id"]), uuid.UUID(second["id"])}) == 2
    assert first["exercise_id"] == exercises["glute-bridge"]
    assert first["exercise"] == {
        "id": exercises["glute-bridge"],
        "name": "Glute bridge",
        "category": "strengthening_gluteal",
    }
    assert (first["sets"], first["reps"], first["hold_seconds"]) == (3, 12, None)
    assert (first["times_per_day"], first["days_per_week"], first["notes"]) == (1, 7, None)
    # per_side follows the exercise unless given
    assert first["per_side"] is False
    assert second["per_side"] is True
    assert (second["reps"], second["hold_seconds"], second["notes"]) == (None, 30, "Knees bent")
    assert count_rows(app) == (1, 2)

    read = client.get(response.headers["Location"], headers=world.clinician.headers)
    assert read.status_code == 200
    assert read.json == program
    assert read.headers["ETag"] == '"1"'


def test_an_empty_draft_without_end_date_is_fine(client, world, exercises, episode):
    program = create(client, world.clinician, episode["id"], {"start_date": "2026-03-02"})
    assert program["items"] == []
    assert program["end_date"] is None
    assert program["notes"] is None


def test_per_side_may_be_set_against_the_exercise_default(client, world, exercises, episode):
    body = draft_body(exercises, items=[item(exercises["clamshell"], per_side=False)])
    assert create(client, world.clinician, episode["id"], body)["items"][0]["per_side"] is False


def test_numbers_count_the_episodes_programs(client, world, factory, exercises, episode):
    numbers = [
        create(client, world.clinician, episode["id"], draft_body(exercises))["number"]
        for _ in range(3)
    ]
    assert numbers == [1, 2, 3]
    other_episode = open_episode(client, world.clinician, world.patient_id)
    assert (
        create(client, world.clinician, other_episode["id"], draft_body(exercises))["number"] == 1
    )


def _with_item(**changes):
    """A draft whose second item has these changes (None removes a field)."""

    def build(ex):
        second = {**item(ex["plank"]), **changes}
        second = {k: v for k, v in second.items() if v is not None}
        return draft_body(ex, items=[item(ex["glute-bridge"]), second])

    return build


@pytest.mark.parametrize(
    ("build", "fields"),
    [
        (_with_item(hold_seconds=30), {"items.1.reps", "items.1.hold_seconds"}),
        (_with_item(reps=None), {"items.1.reps", "items.1.hold_seconds"}),
        (_with_item(sets=0), {"items.1.sets"}),
        (_with_item(sets=11), {"items.1.sets"}),
        (_with_item(reps=0), {"items.1.reps"}),
        (_with_item(reps=101), {"items.1.reps"}),
        (_with_item(reps=None, hold_seconds=601), {"items.1.hold_seconds"}),
        (_with_item(times_per_day=0), {"items.1.times_per_day"}),
        (_with_item(times_per_day=7), {"items.1.times_per_day"}),
        (_with_item(days_per_week=8), {"items.1.days_per_week"}),
        (_with_item(days_per_week=0), {"items.1.days_per_week"}),
        (_with_item(sets=2.5), {"items.1.sets"}),
        (_with_item(sets="3"), {"items.1.sets"}),
        (_with_item(per_side=1), {"items.1.per_side"}),
        (_with_item(notes="x" * 1001), {"items.1.notes"}),
        (_with_item(exercise_id="plank"), {"items.1.exercise_id"}),
        (_with_item(exercise_id=None), {"items.1.exercise_id"}),
        (_with_item(colour="red"), {"items.1.colour"}),
        (_with_item(notes="a\x00b"), {"items.1.notes"}),
        (lambda ex: draft_body(ex, notes="a\x00b"), {"notes"}),
        (lambda ex: draft_body(ex, end_date="2026-03-01"), {"end_date"}),
        (lambda ex: draft_body(ex, start_date=None), {"start_date"}),
        (lambda ex: draft_body(ex, start_date="02/03/2026"), {"start_date"}),
        (lambda ex: draft_body(ex, colour="red"), {"colour"}),
        (lambda ex: draft_body(ex, status="published"), {"status"}),
        (lambda ex: draft_body(ex, items=[item(ex["plank"])] * 21), {"items"}),
        (lambda ex: draft_body(ex, items=None), {"items"}),
    ],
)
def test_an_invalid_draft_is_refused_naming_the_field_and_nothing_is_stored(
    client, app, world, exercises, episode, build, fields
):
    body = {k: v for k, v in build(exercises).items() if v is not None or k == "items"}
    response = client.post(programs_url(episode["id"]), json=body, headers=world.clinician.headers)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == fields
    assert count_rows(app) == (0, 0)


def test_an_exercise_of_another_clinic_or_none_at_all_is_refused(
    client, app, factory, world, exercises, episode
):
    theirs = seed(factory, world.other_clinic_id)
    body = draft_body(
        exercises,
        items=[
            item(exercises["plank"], reps=None, hold_seconds=30),
            item(theirs["glute-bridge"]),
            item(exercises["clamshell"]),
            item(str(uuid.uuid4())),
        ],
    )
    response = client.post(programs_url(episode["id"]), json=body, headers=world.clinician.headers)
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == {"items.1.exercise_id", "items.3.exercise_id"}
    assert count_rows(app) == (0, 0)


def test_more_than_six_exercises_is_allowed_with_a_warning(client, world, exercises, episode):
    six = create(client, world.clinician, episode["id"], draft_body(exercises, count=6))
    assert six["warnings"] == []
    seven = create(client, world.clinician, episode["id"], draft_body(exercises, count=7))
    assert len(seven["items"]) == 7
    assert [w["code"] for w in seven["warnings"]] == ["program.many_exercises"]
    assert "7 exercises" in seven["warnings"][0]["message"]
    # the warning stays with the program: on reading and publishing it
    read = client.get(f"/api/v1/programs/{seven['id']}", headers=world.clinician.headers)
    assert read.json["warnings"] == seven["warnings"]
    assert published(client, world.clinician, seven["id"])["warnings"] == seven["warnings"]


# --- Updating a draft -------------------------------------------------------------------------


def test_patch_needs_if_match_and_refuses_a_stale_one(client, world, exercises, episode):
    program = create(client, world.clinician, episode["id"], draft_body(exercises))
    missing = patch(client, world.clinician, program["id"], {"notes": "x"}, None)
    assert missing.status_code == 428
    stale = patch(client, world.clinician, program["id"], {"notes": "x"}, 7)
    assert stale.status_code == 412
    assert (
        client.get(f"/api/v1/programs/{program['id']}", headers=world.clinician.headers).json
        == program
    )


def test_patch_replaces_items_as_a_whole_and_keeps_the_rest(client, app, world, exercises, episode):
    program = create(client, world.clinician, episode["id"], draft_body(exercises, count=3))
    new_items = [item(exercises["bird-dog"], sets=2, reps=8, days_per_week=5)]
    response = patch(client, world.clinician, program["id"], {"items": new_items}, 1)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert [
        (i["exercise"]["name"], i["sets"], i["reps"], i["days_per_week"]) for i in body["items"]
    ] == [("Bird dog", 2, 8, 5)]
    assert body["items"][0]["id"] not in {i["id"] for i in program["items"]}
    assert (body["start_date"], body["end_date"], body["notes"]) == (
        program["start_date"],
        program["end_date"],
        program["notes"],
    )
    assert count_rows(app) == (1, 1)

    dates = patch(client, world.clinician, program["id"], {"end_date": None, "notes": None}, 2)
    assert dates.status_code == 200
    assert (dates.json["end_date"], dates.json["notes"]) == (None, None)
    assert dates.json["items"] == body["items"]
    assert changes_for(app, program["id"]) == [("created", 1), ("updated", 2), ("updated", 3)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "_schema"),
        ({"end_date": "2026-03-01"}, "end_date"),
        ({"start_date": "2026-05-01"}, "start_date"),
        ({"start_date": "2026-04-01", "end_date": "2026-03-01"}, "end_date"),
        (
            {
                "items": [
                    {
                        "exercise_id": str(uuid.uuid4()),
                        "sets": 3,
                        "reps": 5,
                        "times_per_day": 1,
                        "days_per_week": 7,
                    }
                ]
            },
            "items.0.exercise_id",
        ),
        ({"items": [{"sets": 3}]}, "items.0.exercise_id"),
        ({"start_date": None}, "start_date"),
        ({"number": 5}, "number"),
    ],
)
def test_an_invalid_patch_is_refused_and_changes_nothing(
    client, app, world, exercises, episode, changes, field
):
    program = create(client, world.clinician, episode["id"], draft_body(exercises))
    response = patch(client, world.clinician, program["id"], changes, 1)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    read = client.get(f"/api/v1/programs/{program['id']}", headers=world.clinician.headers)
    assert read.json == program
    assert changes_for(app, program["id"]) == [("created", 1)]


# --- Publishing -------------------------------------------------------------------------------


def test_publish_freezes_the_program(client, app, world, exercises, episode):
    program = create(client, world.clinician, episode["id"], draft_body(exercises))
    response = publish(client, world.clinician, program["id"])
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "published"
    assert body["published_at"] is not None
    assert body["superseded_at"] is None
    assert body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert body["items"] == program["items"]

    frozen = patch(client, world.clinician, program["id"], {"notes": "changed"}, 2)
    assert frozen.status_code == 409
    assert frozen.json["type"] == "/problems/program-frozen"
    twice = publish(client, world.clinician, program["id"])
    assert twice.status_code == 409
    read = client.get(f"/api/v1/programs/{program['id']}", headers=world.clinician.headers)
    assert read.json == body
    assert changes_for(app, program["id"]) == [("created", 1), ("updated", 2)]


def test_publish_checks_if_match_when_sent(client, world, exercises, episode):
    program = create(client, world.clinician, episode["id"], draft_body(exercises))
    stale = publish(client, world.clinician, program["id"], **{"If-Match": '"9"'})
    assert stale.status_code == 412
    fresh = publish(client, world.clinician, program["id"], **{"If-Match": '"1"'})
    assert fresh.status_code == 200


def test_an_empty_program_cannot_be_published(client, app, world, exercises, episode):
    program = create(client, world.clinician, episode["id"], {"start_date": "2026-03-02"})
    response = publish(client, world.clinician, program["id"])
    assert response.status_code == 409
    assert "without exercises" in response.json["detail"]
    read = client.get(f"/api/v1/programs/{program['id']}", headers=world.clinician.headers)
    assert read.json["status"] == "draft"
    assert changes_for(app, program["id"]) == [("created", 1)]


def test_publishing_a_new_version_supersedes_the_previous_one(
    client, app, world, exercises, episode
):
    first = published(
        client,
        world.clinician,
        create(client, world.clinician, episode["id"], draft_body(exercises))["id"],
    )
    second_draft = create(client, world.clinician, episode["id"], draft_body(exercises, count=4))
    # a draft does not touch the published version
    assert (
        client.get(f"/api/v1/programs/{first['id']}", headers=world.clinician.headers).json == first
    )

    second = published(client, world.clinician, second_draft["id"])
    assert second["status"] == "published"
    old = client.get(f"/api/v1/programs/{first['id']}", headers=world.clinician.headers).json
    assert old["status"] == "superseded"
    assert old["superseded_at"] == second["published_at"]
    assert old["version"] == 3
    assert changes_for(app, first["id"]) == [("created", 1), ("updated", 2), ("updated", 3)]
    assert changes_for(app, second["id"]) == [("created", 1), ("updated", 2)]

    third_draft = create(client, world.clinician, episode["id"], draft_body(exercises, count=1))
    history = client.get(programs_url(episode["id"]), headers=world.clinician.headers)
    assert history.status_code == 200
    assert [(p["number"], p["status"]) for p in history.json["items"]] == [
        (1, "superseded"),
        (2, "published"),
        (3, "draft"),
    ]
    assert history.json["items"][2] == third_draft
    assert publish(client, world.clinician, first["id"]).status_code == 409  # superseded is final
    with app.app_context(), all_clinics(db.session):
        assert program_facts(uuid.UUID(episode["id"])) == {"published_program": True}


def test_program_facts_needs_a_published_program(client, app, world, exercises, episode):
    with app.app_context(), all_clinics(db.session):
        assert program_facts(uuid.UUID(episode["id"])) == {"published_program": False}
    program = create(client, world.clinician, episode["id"], draft_body(exercises))
    with app.app_context(), all_clinics(db.session):
        assert program_facts(uuid.UUID(episode["id"])) == {"published_program": False}
    published(client, world.clinician, program["id"])
    with app.app_context(), all_clinics(db.session):
        assert program_facts(uuid.UUID(episode["id"])) == {"published_program": True}


def test_history_pages_by_number(client, world, exercises, episode):
    ids = [
        create(client, world.clinician, episode["id"], draft_body(exercises))["id"]
        for _ in range(3)
    ]
    page = client.get(f"{programs_url(episode['id'])}?limit=2", headers=world.clinician.headers)
    assert [p["id"] for p in page.json["items"]] == ids[:2]
    assert 'rel="next"' in page.headers["Link"]
    rest = client.get(
        f"{programs_url(episode['id'])}?limit=2&cursor={page.json['next_cursor']}",
        headers=world.clinician.headers,
    )
    assert [p["id"] for p in rest.json["items"]] == ids[2:]
    assert rest.json["next_cursor"] is None


# --- Closed episodes, other clinics, roles ----------------------------------------------------


def test_a_closed_episode_takes_no_program_changes(client, app, world, exercises, episode):
    draft = create(client, world.clinician, episode["id"], draft_body(exercises))
    cancel(client, world.clinician, episode["id"])
    created = client.post(
        programs_url(episode["id"]), json=draft_body(exercises), headers=world.clinician.headers
    )
    assert created.status_code == 409
    assert patch(client, world.clinician, draft["id"], {"notes": "x"}, 1).status_code == 409
    assert publish(client, world.clinician, draft["id"]).status_code == 409
    assert count_rows(app) == (1, 2)
    # reading stays possible
    assert (
        client.get(programs_url(episode["id"]), headers=world.clinician.headers).status_code == 200
    )


def test_another_clinics_programs_and_episodes_do_not_exist_here(
    client, app, factory, world, exercises
):
    theirs = seed(factory, world.other_clinic_id)
    their_episode = open_episode(client, world.other_admin, world.other_patient_id)
    their_program = create(client, world.other_admin, their_episode["id"], draft_body(theirs))
    me = world.clinician
    attempts = [
        client.get(f"/api/v1/programs/{their_program['id']}", headers=me.headers),
        patch(client, me, their_program["id"], {"notes": "x"}, 1),
        publish(client, me, their_program["id"]),
        client.get(programs_url(their_episode["id"]), headers=me.headers),
        client.post(
            programs_url(their_episode["id"]), json=draft_body(exercises), headers=me.headers
        ),
        client.get(f"/api/v1/programs/{uuid.uuid4()}", headers=me.headers),
    ]
    for response in attempts:
        assert response.status_code == 404, response.json
        assert response.json["type"] == "/problems/not-found"
    assert count_rows(app) == (1, 2)


def test_patients_get_403_on_program_routes(client, factory, world, exercises, episode):
    program = create(client, world.clinician, episode["id"], draft_body(exercises))
    patient = factory.user(world.clinic_id, "patient", patient_id=world.patient_id)
    responses = [
        client.get(programs_url(episode["id"]), headers=patient.headers),
        client.post(
            programs_url(episode["id"]), json=draft_body(exercises), headers=patient.headers
        ),
        client.get(f"/api/v1/programs/{program['id']}", headers=patient.headers),
        patch(client, patient, program["id"], {"notes": "x"}, 1),
        publish(client, patient, program["id"]),
    ]
    assert [r.status_code for r in responses] == [403] * 5


# --- Cost and audit ---------------------------------------------------------------------------


def test_listing_costs_the_same_statements_for_2_or_30_programs(
    client, world, exercises, episode, count_statements
):
    url = f"{programs_url(episode['id'])}?limit=200"

    def add(n: int) -> None:
        for _ in range(n):
            create(client, world.clinician, episode["id"], draft_body(exercises, count=3))

    def statements(expected: int) -> list[str]:
        client.get(url, headers=world.clinician.headers)
        with count_statements() as counter:
            response = client.get(url, headers=world.clinician.headers)
        assert response.status_code == 200
        assert len(response.json["items"]) == expected
        assert all(len(p["items"]) == 3 for p in response.json["items"])
        return list(counter.statements)

    add(2)
    few = statements(2)
    add(28)
    many = statements(30)
    assert len(few) == len(many), "\n".join(s[:120] for s in many)
    # the token, the episode and its diagnoses, the page, its items, their exercises, the audit
    assert len(many) == 7, "\n".join(s[:120] for s in many)


def test_program_reads_and_writes_are_audited(client, world, exercises, episode):
    first = create(client, world.clinician, episode["id"], draft_body(exercises))
    patch(client, world.clinician, first["id"], {"notes": "ok"}, 1)
    published(client, world.clinician, first["id"])
    second = create(client, world.clinician, episode["id"], draft_body(exercises))
    published(client, world.clinician, second["id"])
    client.get(f"/api/v1/programs/{first['id']}", headers=world.clinician.headers)
    client.get(programs_url(episode["id"]), headers=world.clinician.headers)
    trail = client.get(
        "/api/v1/audit-events",
        query_string={"actor_id": str(world.clinician.id), "limit": 200},
        headers=world.admin.headers,
    ).json["items"]
    events = [(e["action"], e["resource_id"]) for e in trail if e["resource_type"] == "program"]
    # events of one request share their time, so their order among themselves is not kept
    assert sorted(events) == sorted(
        [
            ("create", first["id"]),
            ("update", first["id"]),
            ("publish", first["id"]),
            ("create", second["id"]),
            ("supersede", first["id"]),
            ("publish", second["id"]),
            ("read", first["id"]),
            ("list", first["id"]),
            ("list", second["id"]),
        ]
    )
    assert {e["patient_id"] for e in trail if e["resource_type"] == "program"} == {
        str(world.patient_id)
    }


def test_a_refused_write_is_audited_as_a_failure(client, world, exercises, episode):
    program = create(client, world.clinician, episode["id"], {"start_date": "2026-03-02"})
    assert publish(client, world.clinician, program["id"]).status_code == 409
    trail = client.get(
        "/api/v1/audit-events",
        query_string={"actor_id": str(world.clinician.id), "limit": 200},
        headers=world.admin.headers,
    ).json["items"]
    last = trail[-1]
    assert (last["resource_type"], last["resource_id"], last["outcome"], last["status_code"]) == (
        "program",
        program["id"],
        "failure",
        409,
    )


def test_a_start_date_long_past_is_accepted(client, world, exercises, episode):
    past = (date.today() - timedelta(days=400)).isoformat()
    assert create(client, world.clinician, episode["id"], draft_body(exercises, start_date=past))


def test_publishing_emits_program_published_for_subscribers(client, app, world, exercises, episode):
    from clinic.webhooks.models import WebhookEvent

    response = client.post(
        "/api/v1/webhook-endpoints",
        json={
            "url": "http://127.0.0.1:9/hooks",
            "events": ["program.published", "program.updated"],
        },
        headers=world.admin.headers,
    )
    assert response.status_code == 201, response.json
    first = create(client, world.clinician, episode["id"], draft_body(exercises))
    published(client, world.clinician, first["id"])
    second = create(client, world.clinician, episode["id"], draft_body(exercises))
    published(client, world.clinician, second["id"])
    with app.app_context(), all_clinics(db.session):
        events = [
            (e.type, e.payload["resource_id"], e.payload["version"])
            for e in db.session.scalars(select(WebhookEvent))
        ]
    assert sorted(events) == sorted(
        [
            ("program.updated", first["id"], 2),
            ("program.published", first["id"], 2),
            ("program.updated", first["id"], 3),  # superseded
            ("program.updated", second["id"], 2),
            ("program.published", second["id"], 2),
        ]
    )
