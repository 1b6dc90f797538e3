"""The exercise catalogue through the API: seeding, search, the clinic's own exercises."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import false, func, select

from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics
from clinic.exercises.catalogue import CATALOGUE, CATEGORIES
from clinic.exercises.models import Exercise
from clinic.exercises.service import seed_catalogue
from clinic.extensions import db

URL = "/api/v1/exercises"

OWN = {
    "name": "Step-down from a low step",
    "category": "strengthening_gluteal",
    "target_muscles": ["gluteus medius", "quadriceps"],
    "equipment": ["step"],
    "instructions": "Stand on the step on one leg and slowly lower the other heel to the floor.",
    "default_sets": 3,
    "default_reps": 10,
    "per_side": True,
}


def seed(factory, clinic_id) -> int:
    with factory.session():
        return seed_catalogue(clinic_id)


def count_exercises(app, clinic_id=None) -> int:
    with app.app_context(), all_clinics(db.session):
        statement = select(func.count()).select_from(Exercise)
        if clinic_id is not None:
            statement = statement.where(Exercise.clinic_id == clinic_id)
        return db.session.scalar(statement)


def names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [e["name"] for e in response.json["items"]]


@pytest.fixture
def seeded(factory, world) -> None:
    assert seed(factory, world.clinic_id) == len(CATALOGUE)


# --- Seeding ----------------------------------------------------------------------------------


def test_seeding_is_idempotent_per_clinic(app, factory, world):
    assert seed(factory, world.clinic_id) == 21
    assert count_exercises(app, world.clinic_id) == 21
    assert seed(factory, world.clinic_id) == 0
    assert count_exercises(app, world.clinic_id) == 21
    assert count_exercises(app, world.other_clinic_id) == 0
    assert seed(factory, world.other_clinic_id) == 21
    assert count_exercises(app) == 42


def test_seeding_adds_only_the_missing_exercises(app, factory, world):
    seed(factory, world.clinic_id)
    with factory.session() as session:
        session.execute(
            Exercise.__table__.delete().where(Exercise.slug.in_(["plank", "clamshell"]))
        )
    assert count_exercises(app, world.clinic_id) == 19
    assert seed(factory, world.clinic_id) == 2
    assert count_exercises(app, world.clinic_id) == 21


def test_seeding_skips_exercises_added_meanwhile(app, factory, world, monkeypatch):
    """Two seedings at once: the later insert skips the slugs the other one added."""
    import clinic.exercises.service as service

    seed(factory, world.clinic_id)
    # As if the check for present slugs ran before the other seeding committed.
    monkeypatch.setattr(service, "select", lambda *columns: select(*columns).where(false()))
    assert seed(factory, world.clinic_id) == 0
    assert count_exercises(app, world.clinic_id) == 21


def test_seeding_works_in_a_session_scoped_to_the_clinic(app, world):
    from clinic.core.tenancy import set_clinic

    with app.app_context():
        set_clinic(db.session, world.clinic_id)
        assert seed_catalogue(world.clinic_id) == 21
        db.session.commit()
    assert count_exercises(app, world.clinic_id) == 21


# --- Listing and search -----------------------------------------------------------------------


def test_the_list_is_the_catalogue_by_category_then_name(client, world, seeded):
    response = client.get(URL, query_string={"limit": 200}, headers=world.clinician.headers)
    body = response.json
    assert len(body["items"]) == 21
    assert body["next_cursor"] is None
    keys = [(e["category"], e["name"]) for e in body["items"]]
    assert keys == sorted(keys)
    plank = next(e for e in body["items"] if e["slug"] == "plank")
    assert plank["source"] == "catalogue"
    assert plank["category"] == "core"
    assert plank["default_hold_seconds"] == 45
    assert plank["default_reps"] is None
    assert plank["instructions"].startswith("Rest on your forearms")
    band = next(e for e in body["items"] if e["slug"] == "resistance-band-hip-flexion")
    assert band["equipment"] == ["band"]
    assert band["per_side"] is True


def test_the_list_pages_with_a_cursor_and_a_link(client, world, seeded):
    seen: list[str] = []
    url = f"{URL}?limit=8"
    pages = 0
    while url:
        response = client.get(url, headers=world.clinician.headers)
        assert response.status_code == 200
        seen += [e["id"] for e in response.json["items"]]
        pages += 1
        cursor = response.json["next_cursor"]
        if cursor:
            assert 'rel="next"' in response.headers["Link"]
            url = f"{URL}?limit=8&cursor={cursor}"
        else:
            assert "Link" not in response.headers
            url = None
    assert pages == 3
    assert len(seen) == len(set(seen)) == 21


@pytest.mark.parametrize("category", CATEGORIES)
def test_filter_by_category(client, world, seeded, category):
    response = client.get(URL, query_string={"category": category}, headers=world.clinician.headers)
    expected = sorted(e.name for e in CATALOGUE if e.category == category)
    assert names(response) == expected


def test_text_search_is_case_insensitive_anywhere_in_the_name(client, world, seeded):
    def search(**query):
        return names(client.get(URL, query_string=query, headers=world.clinician.headers))

    assert search(q="PLANK") == ["Plank", "Side plank"]
    assert search(q="hamstring") == ["Standing hamstring stretch", "Towel hamstring stretch"]
    assert search(q="hip flexor", category="stretch") == [
        "Kneeling hip flexor stretch",
        "Standing hip flexor stretch",
    ]
    assert search(q="hip flexor", category="strengthening_hip_flexor") == [
        "Seated hip flexor raise"
    ]
    assert search(q="%") == []  # wildcards are text, not patterns
    assert search(q="_") == []
    assert search(q="zumba") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"category": "yoga"}, "category"),
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"limit": 0}, "limit"),
        ({"q": "plank\x00"}, "q"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_list_queries_are_422_naming_the_parameter(client, world, seeded, query, field):
    response = client.get(URL, query_string=query, headers=world.clinician.headers)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_listing_costs_the_same_statements_for_few_or_many(
    client, world, factory, count_statements
):
    def statements(expected: int) -> list[str]:
        client.get(URL, headers=world.clinician.headers)  # the token is touched
        with count_statements() as counter:
            response = client.get(f"{URL}?limit=200", headers=world.clinician.headers)
        assert len(response.json["items"]) == expected
        return list(counter.statements)

    for _ in range(2):
        assert client.post(URL, json=OWN, headers=world.clinician.headers).status_code == 201
    few = statements(2)
    seed(factory, world.clinic_id)
    many = statements(23)
    assert len(few) == len(many) == 2, many  # the token, the page


# --- The clinic's own -------------------------------------------------------------------------


def test_a_clinic_adds_its_own_exercise(client, app, world, seeded):
    response = client.post(URL, json=OWN, headers=world.clinician.headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["source"] == "clinic"
    assert body["slug"] is None
    assert {k: body[k] for k in OWN} == OWN
    assert body["default_hold_seconds"] is None
    assert response.headers["Location"] == f"{URL}/{body['id']}"

    read = client.get(response.headers["Location"], headers=world.clinician.headers)
    assert read.status_code == 200
    assert read.json == body
    assert "Step-down from a low step" in names(
        client.get(URL, query_string={"q": "step-down"}, headers=world.clinician.headers)
    )
    assert count_exercises(app, world.clinic_id) == 22

    with app.app_context(), all_clinics(db.session):
        changes = db.session.execute(
            select(Change.resource_type, Change.action, Change.version).where(
                Change.resource_id == uuid.UUID(body["id"])
            )
        ).all()
    assert [tuple(c) for c in changes] == [("exercise", "created", 1)]
    trail = client.get(
        "/api/v1/audit-events", query_string={"limit": 200}, headers=world.admin.headers
    ).json["items"]
    assert [(e["action"], e["resource_type"], e["resource_id"]) for e in trail] == [
        ("create", "exercise", body["id"])
    ]


def test_a_hold_exercise_and_the_defaults(client, world):
    body = {
        "name": "Wall sit",
        "category": "core",
        "instructions": "Slide down a wall until your knees are bent and hold.",
        "default_sets": 2,
        "default_hold_seconds": 40,
    }
    response = client.post(URL, json=body, headers=world.admin.headers)
    assert response.status_code == 201, response.json
    assert response.json["per_side"] is False
    assert response.json["target_muscles"] == []
    assert response.json["equipment"] == []
    assert response.json["default_reps"] is None


def _own(**changes):
    body = {**OWN, **changes}
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (_own(default_hold_seconds=30), {"default_reps", "default_hold_seconds"}),
        (_own(default_reps=None), {"default_reps", "default_hold_seconds"}),
        (_own(default_sets=0), {"default_sets"}),
        (_own(default_sets=11), {"default_sets"}),
        (_own(default_reps=101), {"default_reps"}),
        (_own(default_reps=12.5), {"default_reps"}),
        (_own(category="yoga"), {"category"}),
        (_own(name=""), {"name"}),
        (_own(instructions=""), {"instructions"}),
        (_own(per_side="yes"), {"per_side"}),
        (_own(equipment=["band", "band"]), {"equipment"}),
        (_own(slug="glute-bridge"), {"slug"}),
        (_own(colour="red"), {"colour"}),
        (_own(name="Glute\x00bridge"), {"name"}),
    ],
)
def test_an_invalid_exercise_is_refused_naming_the_field_and_nothing_is_stored(
    client, app, world, body, fields
):
    response = client.post(URL, json=body, headers=world.clinician.headers)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == fields
    assert count_exercises(app) == 0


def test_another_clinics_exercise_does_not_exist_here(client, factory, world, seeded):
    theirs = client.post(URL, json=OWN, headers=world.other_admin.headers).json
    response = client.get(f"{URL}/{theirs['id']}", headers=world.clinician.headers)
    assert response.status_code == 404
    assert response.json["type"] == "/problems/not-found"
    assert "Step-down from a low step" not in names(
        client.get(URL, query_string={"limit": 200}, headers=world.clinician.headers)
    )
    assert client.get(f"{URL}/{uuid.uuid4()}", headers=world.clinician.headers).status_code == 404


def test_patients_may_not_use_the_catalogue_routes(client, factory, world, seeded):
    patient = factory.user(world.clinic_id, "patient", patient_id=world.patient_id)
    assert client.get(URL, headers=patient.headers).status_code == 403
    assert client.post(URL, json=OWN, headers=patient.headers).status_code == 403
    assert client.get(URL).status_code == 401
