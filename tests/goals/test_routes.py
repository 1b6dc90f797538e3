"""SMART goals through the API: refusals, baseline and unit, milestones, lifecycle,
re-evaluation, the workflow facts, the patient's own view, tenancy, feed and audit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import g
from sqlalchemy import func, select

from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics, set_clinic
from clinic.extensions import db
from clinic.goals.models import Goal
from clinic.goals.service import goal_facts, reevaluate_goals

TODAY = datetime.now(UTC).date()
STATES = ("proposed", "active", "on-hold", "completed", "cancelled")
ALLOWED_MOVES = {
    ("proposed", "active"),
    ("proposed", "cancelled"),
    ("active", "on-hold"),
    ("active", "completed"),
    ("active", "cancelled"),
    ("on-hold", "active"),
    ("on-hold", "cancelled"),
}
# How to reach each lifecycle state from a new goal.
PATH_TO = {
    "proposed": [],
    "active": [],
    "on-hold": ["on-hold"],
    "completed": ["completed"],
    "cancelled": ["cancelled"],
}
GOAL_FIELDS = {
    "id",
    "episode_id",
    "patient_id",
    "term",
    "description",
    "metric",
    "side",
    "baseline_value",
    "target_value",
    "comparator",
    "unit",
    "start_date",
    "due_date",
    "rationale",
    "parent_goal_id",
    "lifecycle_status",
    "achievement_status",
    "current_value",
    "progress_percent",
    "evaluated_at",
    "warnings",
    "version",
    "created_at",
    "updated_at",
}


# --- Helpers ----------------------------------------------------------------------------------


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def performed(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_episode(client, actor, patient_id) -> dict:
    response = client.post(
        f"/api/v1/patients/{patient_id}/episodes",
        json={"title": "Right lateral hip pain", "side": "right"},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.json
    return response.json


def body_with(extension_right: float | None = None, **parts: Any) -> dict:
    body: dict[str, Any] = {"pain": {"rest": 1, "running": 6}, **parts}
    if extension_right is not None:
        body["rom"] = [
            {
                "joint": "hip",
                "motion": "extension",
                "side": "right",
                "mode": "passive",
                "degrees": extension_right,
            }
        ]
    return body


def assess(client, actor, episode_id, body, days_ago, kind="progress", finalize=True) -> dict:
    created = client.post(
        f"/api/v1/episodes/{episode_id}/assessments",
        json={"kind": kind, "performed_at": performed(days_ago), **body},
        headers=actor.headers,
    )
    assert created.status_code == 201, created.json
    if not finalize:
        return created.json
    done = client.post(f"/api/v1/assessments/{created.json['id']}/finalize", headers=actor.headers)
    assert done.status_code == 200, done.json
    return done.json


@pytest.fixture
def episode(client, world) -> dict:
    """An episode whose initial assessment (finalised) measured right hip extension at 8 deg."""
    opened = open_episode(client, world.clinician, world.patient_id)
    assess(client, world.clinician, opened["id"], body_with(8), days_ago=10, kind="initial")
    return opened


def goal_body(**changes: Any) -> dict:
    body: dict[str, Any] = {
        "term": "short",
        "description": "Extend the right hip far enough to run without shortening the stride",
        "metric": "rom.hip.extension",
        "side": "right",
        "target_value": 25,
        "comparator": ">=",
        "unit": "deg",
        "start_date": days(0),
        "due_date": days(21),
        "rationale": "Stiff hip flexors limit extension; daily stretching usually gains this.",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def long_body(**changes: Any) -> dict:
    long_goal = {
        "term": "long",
        "description": "Run 30 minutes continuously without hip pain",
        "metric": "pain.nrs.running",
        "side": ...,
        "target_value": 1,
        "comparator": "<=",
        "unit": "{score}",
        "due_date": days(70),
        "rationale": "Pain while running is the complaint; load management usually settles it.",
    }
    return goal_body(**{**long_goal, **changes})


def post_goal(client, actor, episode_id, body):
    return client.post(f"/api/v1/episodes/{episode_id}/goals", json=body, headers=actor.headers)


def create_goal(client, actor, episode_id, body=None) -> dict:
    response = post_goal(client, actor, episode_id, body or goal_body())
    assert response.status_code == 201, response.json
    return response.json


def patch_goal(client, actor, goal_id, changes, version: int | str | None):
    headers = {**actor.headers}
    if version is not None:
        headers["If-Match"] = f'"{version}"' if isinstance(version, int) else version
    return client.patch(f"/api/v1/goals/{goal_id}", json=changes, headers=headers)


def get_goal(client, actor, goal_id) -> dict:
    response = client.get(f"/api/v1/goals/{goal_id}", headers=actor.headers)
    assert response.status_code == 200, response.json
    return response.json


def goal_count(app) -> int:
    with app.app_context(), all_clinics(db.session):
        return db.session.scalar(select(func.count()).select_from(Goal))


def changes_for(app, resource_id: str) -> list[tuple[str, str, int]]:
    with app.app_context(), all_clinics(db.session):
        rows = db.session.execute(
            select(Change.resource_type, Change.action, Change.version)
            .where(Change.resource_id == uuid.UUID(resource_id))
            .order_by(Change.seq)
        )
        return [tuple(r) for r in rows]


def audit_trail(client, admin, **query) -> list[dict]:
    response = client.get(
        "/api/v1/audit-events", query_string={"limit": 200, **query}, headers=admin.headers
    )
    assert response.status_code == 200
    return response.json["items"]


def reevaluate(app, clinic_id, episode_id, today: date | None = None) -> None:
    with app.test_request_context():
        set_clinic(db.session, clinic_id)
        reevaluate_goals(uuid.UUID(str(episode_id)), today)
        db.session.commit()


def facts(app, clinic_id, episode_id) -> dict:
    with app.test_request_context():
        set_clinic(db.session, clinic_id)
        return goal_facts(uuid.UUID(str(episode_id)))


def assert_refused(response, app, *fields: str) -> dict:
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == "/problems/validation-error"
    for field in fields:
        assert field in response.json["errors"], response.json["errors"]
        assert all(isinstance(m, str) and m for m in response.json["errors"][field])
    assert goal_count(app) == 0
    return response.json["errors"]


# --- Create -----------------------------------------------------------------------------------


def test_create_sets_an_active_goal_with_the_baseline_of_the_latest_finalised_assessment(
    client, world, episode, app
):
    response = post_goal(client, world.clinician, episode["id"], goal_body())

    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == GOAL_FIELDS
    assert body["episode_id"] == episode["id"]
    assert body["patient_id"] == str(world.patient_id)
    assert body["baseline_value"] == 8.0
    assert (body["target_value"], body["comparator"], body["unit"]) == (25.0, ">=", "deg")
    assert body["lifecycle_status"] == "active"
    assert body["achievement_status"] == "in-progress"
    assert body["current_value"] is None
    assert body["progress_percent"] is None
    assert body["evaluated_at"] is None
    assert body["parent_goal_id"] is None
    assert body["warnings"] == []
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/goals/{body['id']}"
    assert get_goal(client, world.clinician, body["id"]) == body


def test_baseline_comes_from_the_latest_finalised_value_not_drafts_or_older_ones(
    client, world, episode
):
    assess(client, world.clinician, episode["id"], body_with(12), days_ago=5)
    # Later, but not measuring hip extension: the 12 still counts.
    assess(client, world.clinician, episode["id"], body_with(None), days_ago=4)
    # A draft never counts.
    assess(client, world.clinician, episode["id"], body_with(30), days_ago=3, finalize=False)

    goal = create_goal(client, world.clinician, episode["id"])

    assert goal["baseline_value"] == 12.0


def test_a_given_baseline_is_kept(client, world, episode):
    goal = create_goal(client, world.clinician, episode["id"], goal_body(baseline_value=5))

    assert goal["baseline_value"] == 5.0


def test_no_baseline_to_be_found_is_refused_naming_baseline_value(client, world, episode, app):
    # The initial assessment has no straight-leg raise.
    response = post_goal(
        client,
        world.clinician,
        episode["id"],
        goal_body(metric="slr", target_value=80),
    )

    errors = assert_refused(response, app, "baseline_value")
    assert set(errors) == {"baseline_value"}


def test_an_episode_without_finalised_assessment_needs_a_baseline(client, world, app):
    opened = open_episode(client, world.clinician, world.patient_id)
    assess(client, world.clinician, opened["id"], body_with(8), days_ago=1, finalize=False)

    response = post_goal(client, world.clinician, opened["id"], goal_body())

    assert_refused(response, app, "baseline_value")
    created = create_goal(client, world.clinician, opened["id"], goal_body(baseline_value=8))
    assert created["baseline_value"] == 8.0


def test_an_omitted_unit_is_filled_from_the_metric(client, world, episode):
    goal = create_goal(client, world.clinician, episode["id"], goal_body(unit=...))

    assert goal["unit"] == "deg"


def test_a_unit_other_than_the_metrics_is_refused_naming_unit(client, world, episode, app):
    response = post_goal(client, world.clinician, episode["id"], goal_body(unit="degrees"))

    errors = assert_refused(response, app, "unit")
    assert set(errors) == {"unit"}
    assert "'deg'" in errors["unit"][0]


def test_a_whole_body_metric_takes_no_side_and_both_means_none(client, world, episode):
    goal = create_goal(client, world.clinician, episode["id"], long_body(side="both"))

    assert goal["side"] is None
    assert goal["baseline_value"] == 6.0  # pain while running at the initial assessment


# --- SMART refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"metric": ...}, "metric", id="no metric"),
        pytest.param({"metric": "rom.knee.flexion"}, "metric", id="unknown metric"),
        pytest.param({"side": ...}, "side", id="per-side metric without side"),
        pytest.param({"side": "both"}, "side", id="per-side metric with both"),
        pytest.param(
            {"metric": "pain.nrs.running", "side": "left", "unit": ..., "comparator": "<="},
            "side",
            id="side on a whole-body metric",
        ),
        pytest.param({"target_value": ...}, "target_value", id="no target"),
        pytest.param({"comparator": ...}, "comparator", id="no comparator"),
        pytest.param({"comparator": "=>"}, "comparator", id="unknown comparator"),
        pytest.param({"due_date": ...}, "due_date", id="no due date"),
        pytest.param({"due_date": days(0)}, "due_date", id="due on the start date"),
        pytest.param({"start_date": days(5), "due_date": days(3)}, "due_date", id="due before"),
        pytest.param(
            {"start_date": days(-30), "due_date": days(-1)}, "due_date", id="due already past"
        ),
        pytest.param({"target_value": 8}, "target_value", id="target met at baseline"),
        pytest.param({"target_value": 5}, "target_value", id="target below baseline with >="),
        pytest.param({"description": ...}, "description", id="no description"),
        pytest.param({"description": "   "}, "description", id="blank description"),
        pytest.param({"rationale": ...}, "rationale", id="no rationale"),
        pytest.param({"term": ...}, "term", id="no term"),
        pytest.param({"term": "medium"}, "term", id="unknown term"),
        pytest.param({"unit": "s"}, "unit", id="wrong unit"),
        pytest.param({"lifecycle_status": "completed"}, "lifecycle_status", id="completed"),
        pytest.param({"target_value": "far"}, "target_value", id="target not a number"),
        pytest.param({"colour": "red"}, "colour", id="unknown field"),
    ],
)
def test_a_goal_that_is_not_smart_is_refused_naming_the_field_and_nothing_is_stored(
    client, world, episode, app, changes, field
):
    response = post_goal(client, world.clinician, episode["id"], goal_body(**changes))

    assert_refused(response, app, field)


def test_every_missing_part_is_named_in_one_answer(client, world, episode, app):
    response = post_goal(client, world.clinician, episode["id"], {"term": "short"})

    errors = assert_refused(response, app)
    # Baseline and unit follow from the metric: the metric message comes first.
    assert set(errors) == {
        "description",
        "metric",
        "target_value",
        "comparator",
        "due_date",
        "rationale",
    }


def test_several_wrong_parts_are_named_together(client, world, episode, app):
    response = post_goal(
        client,
        world.clinician,
        episode["id"],
        goal_body(unit="s", target_value=3, start_date=days(10), due_date=days(2)),
    )

    errors = assert_refused(response, app)
    assert set(errors) == {"unit", "target_value", "due_date"}


def test_an_unusual_horizon_is_a_warning_not_a_refusal(client, world, episode):
    short_but_long = create_goal(
        client, world.clinician, episode["id"], goal_body(due_date=days(60))
    )
    usual_long = create_goal(client, world.clinician, episode["id"], long_body())

    assert len(short_but_long["warnings"]) == 1
    assert "2-4 weeks" in short_but_long["warnings"][0]
    assert usual_long["warnings"] == []


def test_start_date_defaults_to_today_and_proposed_may_be_asked_for(client, world, episode):
    goal = create_goal(
        client,
        world.clinician,
        episode["id"],
        goal_body(start_date=..., lifecycle_status="proposed"),
    )

    assert goal["start_date"] == days(0)
    assert goal["lifecycle_status"] == "proposed"


def test_goals_of_a_closed_episode_are_refused_with_409(client, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])
    closed = client.post(
        f"/api/v1/episodes/{episode['id']}/transitions",
        json={"to": "cancelled", "reason": "Moved away"},
        headers=world.clinician.headers,
    )
    assert closed.status_code == 200, closed.json

    created = post_goal(client, world.clinician, episode["id"], goal_body())
    patched = patch_goal(client, world.clinician, goal["id"], {"description": "Later"}, 1)

    assert created.status_code == 409
    assert patched.status_code == 409
    assert goal_count(app) == 1
    # Reading still works.
    assert get_goal(client, world.clinician, goal["id"])["version"] == 1


# --- Milestones -----------------------------------------------------------------------------------


def test_a_short_goal_may_be_a_milestone_of_a_long_goal_due_no_later(client, world, episode):
    parent = create_goal(client, world.clinician, episode["id"], long_body())

    same_day = create_goal(
        client,
        world.clinician,
        episode["id"],
        goal_body(parent_goal_id=parent["id"], due_date=parent["due_date"], start_date=days(42)),
    )
    earlier = create_goal(
        client, world.clinician, episode["id"], goal_body(parent_goal_id=parent["id"])
    )

    assert same_day["parent_goal_id"] == parent["id"]
    assert earlier["parent_goal_id"] == parent["id"]


@pytest.mark.parametrize(
    ("parent_kind", "changes", "field"),
    [
        pytest.param("long", {"due_date": days(71)}, "due_date", id="milestone due after"),
        pytest.param("short", {}, "parent_goal_id", id="parent is short-term"),
        pytest.param("long", {"term": "long"}, "parent_goal_id", id="child is long-term"),
        pytest.param("unknown", {}, "parent_goal_id", id="no such goal"),
        pytest.param("other-episode", {}, "parent_goal_id", id="goal of another episode"),
        pytest.param("cancelled", {}, "parent_goal_id", id="parent cancelled"),
    ],
)
def test_a_wrong_parent_is_refused(client, world, episode, app, parent_kind, changes, field):
    if parent_kind == "unknown":
        parent_id = str(uuid.uuid4())
    elif parent_kind == "other-episode":
        other = open_episode(client, world.clinician, world.patient_id)
        parent_id = create_goal(client, world.clinician, other["id"], long_body(baseline_value=6))[
            "id"
        ]
    else:
        body = goal_body() if parent_kind == "short" else long_body()
        parent_id = create_goal(client, world.clinician, episode["id"], body)["id"]
        if parent_kind == "cancelled":
            cancelled = patch_goal(
                client, world.clinician, parent_id, {"lifecycle_status": "cancelled"}, 1
            )
            assert cancelled.status_code == 200
    before = goal_count(app)

    response = post_goal(
        client, world.clinician, episode["id"], goal_body(parent_goal_id=parent_id, **changes)
    )

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert goal_count(app) == before


def test_another_clinics_goal_is_no_parent(client, world, episode, factory):
    other_episode = open_episode(client, world.other_admin, world.other_patient_id)
    theirs = create_goal(
        client, world.other_admin, other_episode["id"], long_body(baseline_value=6)
    )

    response = post_goal(
        client, world.clinician, episode["id"], goal_body(parent_goal_id=theirs["id"])
    )

    assert response.status_code == 422
    assert "parent_goal_id" in response.json["errors"]


def test_a_long_goal_cannot_move_before_its_milestones(client, world, episode):
    parent = create_goal(client, world.clinician, episode["id"], long_body())
    milestone = create_goal(
        client,
        world.clinician,
        episode["id"],
        goal_body(parent_goal_id=parent["id"], due_date=days(28)),
    )

    too_early = patch_goal(client, world.clinician, parent["id"], {"due_date": days(27)}, 1)
    milestone_late = patch_goal(client, world.clinician, milestone["id"], {"due_date": days(71)}, 1)
    fine = patch_goal(client, world.clinician, parent["id"], {"due_date": days(28)}, 1)

    assert too_early.status_code == 422
    assert "due_date" in too_early.json["errors"]
    assert milestone_late.status_code == 422
    assert "due_date" in milestone_late.json["errors"]
    assert fine.status_code == 200, fine.json


# --- PATCH -------------------------------------------------------------------------------------


@pytest.mark.parametrize("to", STATES)
@pytest.mark.parametrize("start", STATES)
def test_lifecycle_moves(client, world, app, start, to):
    opened = open_episode(client, world.clinician, world.patient_id)
    lifecycle = "proposed" if start == "proposed" else "active"
    goal = create_goal(
        client,
        world.clinician,
        opened["id"],
        goal_body(baseline_value=8, lifecycle_status=lifecycle),
    )
    version = 1
    for step in PATH_TO[start]:
        moved = patch_goal(client, world.clinician, goal["id"], {"lifecycle_status": step}, version)
        assert moved.status_code == 200, moved.json
        version = moved.json["version"]

    response = patch_goal(client, world.clinician, goal["id"], {"lifecycle_status": to}, version)

    if start in ("completed", "cancelled"):
        assert response.status_code == 409, response.json
        assert response.json["type"] == "/problems/conflict"
    elif (start, to) in ALLOWED_MOVES or start == to:
        assert response.status_code == 200, response.json
        assert response.json["lifecycle_status"] == to
        assert response.json["version"] == version + 1
    else:
        assert response.status_code == 409, response.json
        assert response.json["type"] == "/problems/transition-not-allowed"
        assert to not in response.json["allowed_transitions"]
        assert get_goal(client, world.clinician, goal["id"])["lifecycle_status"] == start


def test_patch_needs_if_match_and_refuses_a_stale_one(client, world, episode):
    goal = create_goal(client, world.clinician, episode["id"])

    missing = patch_goal(client, world.clinician, goal["id"], {"description": "New"}, None)
    stale = patch_goal(client, world.clinician, goal["id"], {"description": "New"}, 7)
    done = patch_goal(client, world.clinician, goal["id"], {"description": "New words"}, 1)

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert done.status_code == 200, done.json
    assert done.json["description"] == "New words"
    assert done.json["version"] == 2
    assert done.headers["ETag"] == '"2"'
    again = patch_goal(client, world.clinician, goal["id"], {"description": "Again"}, 1)
    assert again.status_code == 412


def test_patch_changes_description_rationale_due_date_and_target(client, world, episode):
    goal = create_goal(client, world.clinician, episode["id"])

    response = patch_goal(
        client,
        world.clinician,
        goal["id"],
        {
            "description": "Reach 20 degrees of right hip extension",
            "rationale": "Slower gains than expected.",
            "due_date": days(28),
            "target_value": 20,
        },
        1,
    )

    assert response.status_code == 200, response.json
    body = response.json
    assert body["description"] == "Reach 20 degrees of right hip extension"
    assert body["rationale"] == "Slower gains than expected."
    assert body["due_date"] == days(28)
    assert body["target_value"] == 20.0
    assert body["baseline_value"] == 8.0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"target_value": 8}, "target_value", id="target met at baseline"),
        pytest.param({"due_date": days(0)}, "due_date", id="due on the start date"),
        pytest.param({"due_date": days(-1)}, "due_date", id="due in the past"),
        pytest.param({"description": " "}, "description", id="blank description"),
        pytest.param({"lifecycle_status": "paused"}, "lifecycle_status", id="unknown status"),
        pytest.param({"metric": "slr"}, "metric", id="metric is not patched"),
        pytest.param({}, "_schema", id="nothing to change"),
    ],
)
def test_a_patch_that_breaks_the_goal_is_refused(client, world, episode, changes, field):
    goal = create_goal(client, world.clinician, episode["id"])

    response = patch_goal(client, world.clinician, goal["id"], changes, 1)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert get_goal(client, world.clinician, goal["id"]) == goal


def test_a_goal_past_due_may_still_be_cancelled(client, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])
    with app.app_context(), all_clinics(db.session):
        row = db.session.get(Goal, uuid.UUID(goal["id"]))
        row.start_date = TODAY - timedelta(days=40)
        row.due_date = TODAY - timedelta(days=10)
        db.session.commit()

    response = patch_goal(client, world.clinician, goal["id"], {"lifecycle_status": "cancelled"}, 2)

    assert response.status_code == 200, response.json


# --- Re-evaluation ----------------------------------------------------------------------------


def test_each_finalised_assessment_re_evaluates_progress_and_achievement(
    client, world, episode, app
):
    goal = create_goal(client, world.clinician, episode["id"])  # 8 -> >= 25 deg

    assess(client, world.clinician, episode["id"], body_with(20), days_ago=5)
    reevaluate(app, world.clinic_id, episode["id"])
    improving = get_goal(client, world.clinician, goal["id"])

    assert improving["current_value"] == 20.0
    assert improving["progress_percent"] == 70.6  # 12 of the 17 degrees
    assert improving["achievement_status"] == "improving"
    assert improving["evaluated_at"] is not None
    assert improving["version"] == 2

    # Nothing new measured: no new version, the trend is kept.
    reevaluate(app, world.clinic_id, episode["id"])
    assert get_goal(client, world.clinician, goal["id"]) == improving
    assert changes_for(app, goal["id"]) == [("goal", "created", 1), ("goal", "updated", 2)]

    assess(client, world.clinician, episode["id"], body_with(26), days_ago=1)
    reevaluate(app, world.clinic_id, episode["id"])
    achieved = get_goal(client, world.clinician, goal["id"])

    assert achieved["current_value"] == 26.0
    assert achieved["progress_percent"] == 100.0
    assert achieved["achievement_status"] == "achieved"
    assert achieved["version"] == 3
    assert changes_for(app, goal["id"])[-1] == ("goal", "updated", 3)


def test_a_value_further_from_the_target_is_worsening_and_an_equal_one_no_change(
    client, world, episode, app
):
    goal = create_goal(client, world.clinician, episode["id"])
    assess(client, world.clinician, episode["id"], body_with(20), days_ago=5)
    reevaluate(app, world.clinic_id, episode["id"])

    assess(client, world.clinician, episode["id"], body_with(15), days_ago=3)
    reevaluate(app, world.clinic_id, episode["id"])
    worsening = get_goal(client, world.clinician, goal["id"])

    assert worsening["achievement_status"] == "worsening"
    assert worsening["progress_percent"] == 41.2

    low_goal = create_goal(client, world.clinician, episode["id"], long_body())  # pain 6 -> <= 1
    reevaluate(app, world.clinic_id, episode["id"])
    assert get_goal(client, world.clinician, low_goal["id"])["achievement_status"] == "no-change"


def test_a_goal_past_due_and_not_met_becomes_not_achieved(client, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])
    met = create_goal(client, world.clinician, episode["id"], goal_body(target_value=20))
    assess(client, world.clinician, episode["id"], body_with(20), days_ago=2)

    reevaluate(app, world.clinic_id, episode["id"], today=TODAY + timedelta(days=22))

    late = get_goal(client, world.clinician, goal["id"])
    assert late["achievement_status"] == "not-achieved"
    assert late["current_value"] == 20.0
    assert late["progress_percent"] == 70.6
    assert get_goal(client, world.clinician, met["id"])["achievement_status"] == "achieved"


def test_the_due_date_itself_is_not_yet_past(client, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])

    reevaluate(app, world.clinic_id, episode["id"], today=TODAY + timedelta(days=21))

    assert get_goal(client, world.clinician, goal["id"])["achievement_status"] != "not-achieved"


def test_completed_and_cancelled_goals_are_not_re_evaluated(client, world, episode, app):
    completed = create_goal(client, world.clinician, episode["id"])
    cancelled = create_goal(client, world.clinician, episode["id"])
    on_hold = create_goal(client, world.clinician, episode["id"])
    for goal, to in ((completed, "completed"), (cancelled, "cancelled"), (on_hold, "on-hold")):
        assert (
            patch_goal(client, world.clinician, goal["id"], {"lifecycle_status": to}, 1).status_code
            == 200
        )
    assess(client, world.clinician, episode["id"], body_with(20), days_ago=2)

    reevaluate(app, world.clinic_id, episode["id"])

    for goal in (completed, cancelled):
        after = get_goal(client, world.clinician, goal["id"])
        assert (after["current_value"], after["version"]) == (None, 2)
    assert get_goal(client, world.clinician, on_hold["id"])["current_value"] == 20.0


def test_changing_the_target_recomputes_progress_from_the_last_value(client, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])
    assess(client, world.clinician, episode["id"], body_with(20), days_ago=2)
    reevaluate(app, world.clinic_id, episode["id"])

    lower = patch_goal(client, world.clinician, goal["id"], {"target_value": 18}, 2)
    higher = patch_goal(client, world.clinician, goal["id"], {"target_value": 28}, 3)

    assert (lower.json["progress_percent"], lower.json["achievement_status"]) == (
        100.0,
        "achieved",
    )
    assert (higher.json["progress_percent"], higher.json["achievement_status"]) == (
        60.0,
        "improving",
    )


def test_run_and_adherence_goals_take_their_values_from_their_sources(
    client, world, episode, app, monkeypatch
):
    asked: list[tuple] = []

    def latest_run_metric(episode_id, metric_code):
        asked.append(("run", episode_id, metric_code))
        return 12

    def adherence_percent(episode_id, window_days):
        asked.append(("adherence", episode_id, window_days))
        return 90.0

    sources = {"latest_run_metric": latest_run_metric, "adherence_percent": adherence_percent}
    run = create_goal(
        client,
        world.clinician,
        episode["id"],
        long_body(
            metric="run.continuous_minutes",
            comparator=">=",
            unit="min",
            target_value=30,
            baseline_value=0,
        ),
    )
    adherence = create_goal(
        client,
        world.clinician,
        episode["id"],
        goal_body(
            metric="hep.adherence_percent",
            side=...,
            unit="%",
            target_value=80,
            baseline_value=40,
        ),
    )
    import clinic.portal.service as portal_service
    import clinic.running.service as running_service

    monkeypatch.setattr(running_service, "latest_run_metric", sources["latest_run_metric"])
    monkeypatch.setattr(portal_service, "adherence_percent", sources["adherence_percent"])

    reevaluate(app, world.clinic_id, episode["id"])

    episode_id = uuid.UUID(episode["id"])
    assert sorted(asked, key=str) == [
        ("adherence", episode_id, 28),
        ("run", episode_id, "run.continuous_minutes"),
    ]
    run_after = get_goal(client, world.clinician, run["id"])
    assert (run_after["current_value"], run_after["progress_percent"]) == (12.0, 40.0)
    assert run_after["achievement_status"] == "improving"
    assert get_goal(client, world.clinician, adherence["id"])["achievement_status"] == "achieved"


def test_a_run_goal_has_no_baseline_until_runs_are_logged(client, world, episode, app):
    response = post_goal(
        client,
        world.clinician,
        episode["id"],
        long_body(metric="run.continuous_minutes", comparator=">=", unit="min", target_value=30),
    )

    assert_refused(response, app, "baseline_value")


# --- Workflow facts -----------------------------------------------------------------------------


def test_goal_facts_count_active_goals_and_unresolved_ones(client, world, episode, app):
    assert facts(app, world.clinic_id, episode["id"]) == {
        "active_short_term_goals": 0,
        "active_long_term_goals": 0,
        "unresolved_goals": 0,
    }
    create_goal(client, world.clinician, episode["id"])  # short, active
    create_goal(client, world.clinician, episode["id"], goal_body(target_value=20))  # achieved
    create_goal(client, world.clinician, episode["id"], long_body())  # long, active
    create_goal(client, world.clinician, episode["id"], goal_body(lifecycle_status="proposed"))
    cancelled = create_goal(client, world.clinician, episode["id"], long_body())
    patch_goal(client, world.clinician, cancelled["id"], {"lifecycle_status": "cancelled"}, 1)
    assess(client, world.clinician, episode["id"], body_with(20), days_ago=2)
    reevaluate(app, world.clinic_id, episode["id"])

    assert facts(app, world.clinic_id, episode["id"]) == {
        "active_short_term_goals": 2,
        "active_long_term_goals": 1,
        "unresolved_goals": 3,  # active short (improving), long, proposed
    }

    reevaluate(app, world.clinic_id, episode["id"], today=TODAY + timedelta(days=100))
    assert facts(app, world.clinic_id, episode["id"])["unresolved_goals"] == 0


# --- Listing ------------------------------------------------------------------------------------


def test_list_pages_oldest_first_with_link_and_filters(client, world, episode):
    ids = [create_goal(client, world.clinician, episode["id"])["id"] for _ in range(3)]
    long_goal = create_goal(client, world.clinician, episode["id"], long_body())
    url = f"/api/v1/episodes/{episode['id']}/goals"

    first = client.get(url, query_string={"limit": 2}, headers=world.clinician.headers)
    second = client.get(
        url,
        query_string={"limit": 2, "cursor": first.json["next_cursor"]},
        headers=world.clinician.headers,
    )
    longs = client.get(url, query_string={"term": "long"}, headers=world.clinician.headers)

    assert first.status_code == 200
    assert [g["id"] for g in first.json["items"]] == ids[:2]
    assert 'rel="next"' in first.headers["Link"]
    assert [g["id"] for g in second.json["items"]] == [ids[2], long_goal["id"]]
    assert second.json["next_cursor"] is None
    assert [g["id"] for g in longs.json["items"]] == [long_goal["id"]]
    assert all(set(g) == GOAL_FIELDS for g in first.json["items"])


def test_list_runs_the_same_statements_for_2_and_30_goals(
    client, factory, world, episode, count_statements
):
    def add(n: int) -> None:
        with factory.session() as session:
            for i in range(n):
                session.add(
                    Goal(
                        clinic_id=world.clinic_id,
                        episode_id=uuid.UUID(episode["id"]),
                        patient_id=world.patient_id,
                        term="short",
                        description=f"Goal {i}",
                        metric="rom.hip.extension",
                        side="right",
                        baseline_value=8,
                        target_value=25,
                        comparator=">=",
                        unit="deg",
                        start_date=TODAY,
                        due_date=TODAY + timedelta(days=21),
                        rationale="Because.",
                        lifecycle_status="active",
                        achievement_status="in-progress",
                    )
                )

    def statements_to_list(expected_rows: int) -> list[str]:
        url = f"/api/v1/episodes/{episode['id']}/goals"
        with count_statements() as counter:
            response = client.get(url, headers=world.clinician.headers)
        assert response.status_code == 200
        assert len(response.json["items"]) == expected_rows
        return list(counter.statements)

    add(2)
    few = statements_to_list(2)
    add(28)
    many = statements_to_list(30)

    assert len(few) == len(many), (few, many)
    # the token, the episode (and its diagnoses, eagerly loaded), the page, one audit insert
    assert len(many) == 5, "\n".join(s[:120] for s in many)


# --- The patient's own goals ----------------------------------------------------------------------


def test_me_goals_lists_only_the_callers_own_goals_patient_friendly(
    client, factory, world, episode
):
    mine = create_goal(client, world.clinician, episode["id"])
    long_goal = create_goal(client, world.clinician, episode["id"], long_body())
    withdrawn = create_goal(client, world.clinician, episode["id"])
    patch_goal(client, world.clinician, withdrawn["id"], {"lifecycle_status": "cancelled"}, 1)
    other_patient = factory.patient(world.clinic_id)
    other_episode = open_episode(client, world.clinician, other_patient)
    create_goal(client, world.clinician, other_episode["id"], goal_body(baseline_value=3))
    patient = factory.user(world.clinic_id, "patient", patient_id=world.patient_id)

    response = client.get("/api/v1/me/goals", headers=patient.headers)

    assert response.status_code == 200, response.json
    items = response.json["items"]
    assert [g["id"] for g in items] == [mine["id"], long_goal["id"]]
    first = items[0]
    assert first["metric_label"] == "Hip extension range of motion"
    assert {k: first[k] for k in ("description", "unit", "side", "target_value", "comparator")} == {
        "description": mine["description"],
        "unit": "deg",
        "side": "right",
        "target_value": 25.0,
        "comparator": ">=",
    }
    assert {k: first[k] for k in ("current_value", "progress_percent", "term")} == {
        "current_value": None,
        "progress_percent": None,
        "term": "short",
    }
    assert (first["achievement_status"], first["lifecycle_status"]) == ("in-progress", "active")
    assert first["due_date"] == mine["due_date"]
    assert "rationale" not in first
    assert "patient_id" not in first
    assert response.json["next_cursor"] is None


def test_me_goals_is_for_patients_only(client, factory, world, episode):
    create_goal(client, world.clinician, episode["id"])
    patient = factory.user(world.clinic_id, "patient", patient_id=world.patient_id)

    for actor in (world.admin, world.clinician):
        assert client.get("/api/v1/me/goals", headers=actor.headers).status_code == 403
    assert client.get("/api/v1/me/goals").status_code == 401
    # ... and patients never reach the clinical routes.
    assert (
        client.get(f"/api/v1/episodes/{episode['id']}/goals", headers=patient.headers).status_code
        == 403
    )


def test_a_patient_of_another_clinic_sees_none_of_ours(client, factory, world, episode):
    create_goal(client, world.clinician, episode["id"])
    theirs = factory.user(world.other_clinic_id, "patient", patient_id=world.other_patient_id)

    response = client.get("/api/v1/me/goals", headers=theirs.headers)

    assert response.status_code == 200
    assert response.json["items"] == []


# --- Tenancy ----------------------------------------------------------------------------------


def test_another_clinics_episode_and_goal_answer_404(client, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])
    other = world.other_admin

    responses = [
        client.get(f"/api/v1/goals/{goal['id']}", headers=other.headers),
        patch_goal(client, other, goal["id"], {"description": "Mine now"}, 1),
        client.get(f"/api/v1/episodes/{episode['id']}/goals", headers=other.headers),
        post_goal(client, other, episode["id"], goal_body(baseline_value=8)),
        client.get(f"/api/v1/goals/{uuid.uuid4()}", headers=world.clinician.headers),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert all(r.json["type"] == "/problems/not-found" for r in responses)
    assert get_goal(client, world.clinician, goal["id"])["version"] == 1
    assert goal_count(app) == 1


# --- Change feed and audit ------------------------------------------------------------------------


def test_writes_leave_change_rows_and_refusals_none(client, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])
    patch_goal(client, world.clinician, goal["id"], {"description": "Renamed"}, 1)
    patch_goal(client, world.clinician, goal["id"], {"lifecycle_status": "on-hold"}, 2)
    patch_goal(client, world.clinician, goal["id"], {"target_value": 3}, 3)  # refused
    patch_goal(client, world.clinician, goal["id"], {"lifecycle_status": "proposed"}, 3)  # 409

    assert changes_for(app, goal["id"]) == [
        ("goal", "created", 1),
        ("goal", "updated", 2),
        ("goal", "updated", 3),
    ]
    with app.app_context(), all_clinics(db.session):
        clinic_ids = set(
            db.session.scalars(
                select(Change.clinic_id).where(Change.resource_id == uuid.UUID(goal["id"]))
            )
        )
    assert clinic_ids == {world.clinic_id}


def test_goal_reads_and_writes_are_audited(client, factory, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])
    client.get(f"/api/v1/goals/{goal['id']}", headers=world.clinician.headers)
    patch_goal(client, world.clinician, goal["id"], {"description": "Audited"}, 1)
    client.get(f"/api/v1/episodes/{episode['id']}/goals", headers=world.clinician.headers)
    patch_goal(client, world.clinician, goal["id"], {"description": "Stale"}, 1)

    trail = audit_trail(client, world.admin, actor_id=str(world.clinician.id))
    goal_events = [e for e in trail if e["resource_type"] == "goal"]
    assert [(e["action"], e["outcome"], e["status_code"]) for e in goal_events] == [
        ("create", "success", 201),
        ("read", "success", 200),
        ("update", "success", 200),
        ("list", "success", 200),
        ("update", "failure", 412),
    ]
    assert {e["resource_id"] for e in goal_events} == {goal["id"]}
    assert {e["patient_id"] for e in goal_events[:-1]} == {str(world.patient_id)}

    patient = factory.user(world.clinic_id, "patient", patient_id=world.patient_id)
    client.get("/api/v1/me/goals", headers=patient.headers)
    read_by_patient = audit_trail(client, world.admin, actor_id=str(patient.id))
    assert [(e["action"], e["resource_type"], e["resource_id"]) for e in read_by_patient] == [
        ("list", "goal", goal["id"])
    ]


def test_re_evaluation_is_audited_and_fed(client, world, episode, app):
    goal = create_goal(client, world.clinician, episode["id"])
    assess(client, world.clinician, episode["id"], body_with(20), days_ago=2)
    before = get_goal(client, world.clinician, goal["id"])["version"]

    # Past due: whatever finalising did already, this evaluation changes the goal.
    with app.test_request_context():
        set_clinic(db.session, world.clinic_id)
        reevaluate_goals(uuid.UUID(episode["id"]), TODAY + timedelta(days=30))
        events = list(g.get("audit_events", []))
        db.session.commit()

    assert events == [("evaluate", "goal", goal["id"], world.patient_id)]
    assert changes_for(app, goal["id"])[-1] == ("goal", "updated", before + 1)


# The minimal valid requests the authorization matrix may use (no finalised assessment there).
MATRIX_GOAL_BODY = {
    "term": "short",
    "description": "Extend the right hip to 20 degrees",
    "metric": "rom.hip.extension",
    "side": "right",
    "baseline_value": 8,
    "target_value": 20,
    "comparator": ">=",
    "start_date": "2099-01-01",
    "due_date": "2099-01-22",
    "rationale": "Daily hip flexor stretching usually gains this.",
}


def test_the_minimal_requests_work_on_an_episode_with_only_a_draft_assessment(client, world):
    opened = open_episode(client, world.clinician, world.patient_id)
    assess(client, world.clinician, opened["id"], body_with(8), days_ago=1, finalize=False)

    created = post_goal(client, world.clinician, opened["id"], MATRIX_GOAL_BODY)
    patched = client.patch(
        f"/api/v1/goals/{created.json['id']}",
        json={"description": "Renamed goal"},
        headers={**world.clinician.headers, "If-Match": "*"},
    )

    assert created.status_code == 201, created.json
    assert created.json["warnings"] == []
    assert patched.status_code == 200, patched.json
