"""Assessments through the API: drafts, validation, finalising, amending, findings, progress."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from clinic.assessments.models import Assessment
from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from tests.assessments.test_metrics import API_CODES

# The API.md example, verbatim.
EXAMPLE: dict[str, Any] = {
    "kind": "initial",
    "performed_at": "2026-11-20T09:30:00Z",
    "pain": {
        "rest": 1,
        "activity": 4,
        "running": 6,
        "location": ["lateral"],
        "type": ["aching"],
        "onset": "hours_after",
    },
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
    "straight_leg_raise": {"left": 80, "right": 65},
    "rom": [
        {
            "joint": "hip",
            "motion": "extension",
            "side": "right",
            "mode": "passive",
            "degrees": 8,
            "painful": True,
        }
    ],
    "strength": [{"muscle_group": "hip_abductors", "side": "right", "grade": 4}],
    "special_tests": [{"test": "fadir", "side": "right", "result": "negative"}],
    "functional": {
        "plank_seconds": 40,
        "side_plank_seconds": {"left": 35, "right": 20},
        "walking_minutes_pain_free": 25,
        "single_leg_squat": {
            "left": {"reps": 10, "pain": False, "pelvic_drop": False},
            "right": {"reps": 6, "pain": True, "pelvic_drop": True},
        },
    },
    "running_form": {
        "pelvic_drop": True,
        "knee_valgus": False,
        "overstriding": True,
        "cadence_spm": 158,
    },
    "outcome_measures": {"lefs": [3, 3, 2, 4, 3, 3, 2, 2, 3, 4, 4, 3, 3, 2, 1, 2, 3, 3, 4, 4]},
    "notes": "...",
}

PARTS = (
    "pain",
    "thomas_test",
    "trendelenburg",
    "straight_leg_raise",
    "rom",
    "strength",
    "special_tests",
    "functional",
    "running_form",
    "outcome_measures",
)
RESPONSE_FIELDS = {
    *PARTS,
    "id",
    "episode_id",
    "patient_id",
    "kind",
    "status",
    "performed_at",
    "clinician_id",
    "amends",
    "superseded_by_id",
    "finalized_at",
    "notes",
    "version",
    "created_at",
    "updated_at",
    "findings",
    "compared_with_id",
}
FINDING_FIELDS = {"code", "side", "severity", "message", "value", "reference"}


# --- Helpers ----------------------------------------------------------------------------------


def open_episode(client, actor, patient_id) -> dict:
    response = client.post(
        f"/api/v1/patients/{patient_id}/episodes",
        json={"title": "Right lateral hip pain", "side": "right"},
        headers=actor.headers,
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def episode(client, world) -> dict:
    return open_episode(client, world.clinician, world.patient_id)


def post_assessment(client, actor, episode_id, body):
    return client.post(
        f"/api/v1/episodes/{episode_id}/assessments", json=body, headers=actor.headers
    )


def create(client, actor, episode_id, body) -> dict:
    response = post_assessment(client, actor, episode_id, body)
    assert response.status_code == 201, response.json
    return response.json


def finalize(client, actor, assessment_id) -> dict:
    response = client.post(f"/api/v1/assessments/{assessment_id}/finalize", headers=actor.headers)
    assert response.status_code == 200, response.json
    return response.json


def create_final(client, actor, episode_id, body) -> dict:
    return finalize(client, actor, create(client, actor, episode_id, body)["id"])


def read(client, actor, assessment_id) -> dict:
    response = client.get(f"/api/v1/assessments/{assessment_id}", headers=actor.headers)
    assert response.status_code == 200, response.json
    return response.json


def patch(client, actor, assessment_id, changes, version):
    headers = {**actor.headers}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return client.patch(f"/api/v1/assessments/{assessment_id}", json=changes, headers=headers)


def finding(body: dict, code: str, side: str | None = None) -> dict:
    matches = [f for f in body["findings"] if f["code"] == code and f["side"] == side]
    assert len(matches) == 1, (code, side, [(f["code"], f["side"]) for f in body["findings"]])
    return matches[0]


def codes(body: dict) -> list[tuple[str, str | None]]:
    return [(f["code"], f["side"]) for f in body["findings"]]


def at(day: int, hour: int = 9) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:30:00Z"


def lefs_items(total: int) -> list[int]:
    items = [total // 20] * 20
    for i in range(total % 20):
        items[i] += 1
    assert sum(items) == total
    return items


def count_assessments(app) -> int:
    with app.app_context(), all_clinics(db.session):
        return db.session.scalar(select(func.count()).select_from(Assessment))


def changes_for(app, resource_id: str) -> list[tuple[str, int]]:
    with app.app_context(), all_clinics(db.session):
        rows = db.session.execute(
            select(Change.action, Change.version)
            .where(Change.resource_id == uuid.UUID(resource_id))
            .order_by(Change.seq)
        )
        return [tuple(r) for r in rows]


def progress(client, actor, episode_id, **query):
    return client.get(
        f"/api/v1/episodes/{episode_id}/progress", query_string=query, headers=actor.headers
    )


# --- Create a draft ---------------------------------------------------------------------------


def test_the_api_example_creates_a_draft_with_exactly_its_parts(client, world, episode, app):
    response = post_assessment(client, world.clinician, episode["id"], EXAMPLE)
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == RESPONSE_FIELDS
    for part in PARTS:
        assert body[part] == EXAMPLE[part], part
    assert body["notes"] == "..."
    assert body["kind"] == "initial"
    assert body["status"] == "draft"
    assert body["performed_at"] in ("2026-11-20T09:30:00+00:00", "2026-11-20T09:30:00Z")
    assert body["episode_id"] == episode["id"]
    assert body["patient_id"] == str(world.patient_id)
    assert body["clinician_id"] == str(world.clinician.id)
    assert body["amends"] is None
    assert body["superseded_by_id"] is None
    assert body["finalized_at"] is None
    assert body["compared_with_id"] is None
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/assessments/{body['id']}"
    assert all(set(f) == FINDING_FIELDS for f in body["findings"])
    assert {f["severity"] for f in body["findings"]} <= {"normal", "abnormal", "info"}
    assert count_assessments(app) == 1
    assert changes_for(app, body["id"]) == [("created", 1)]
    assert read(client, world.clinician, body["id"]) == body


def test_only_the_parts_sent_are_kept(client, world, episode):
    body = create(
        client,
        world.clinician,
        episode["id"],
        {"kind": "progress", "performed_at": at(20), "straight_leg_raise": {"right": 72}},
    )
    assert body["straight_leg_raise"] == {"right": 72}
    for part in PARTS:
        if part != "straight_leg_raise":
            assert body[part] is None, part
    assert body["notes"] is None
    assert codes(body) == [("hamstring.normal", "right")]
    assert finding(body, "hamstring.normal", "right")["value"] == 72


def test_the_example_findings_have_the_expected_values(client, world, episode):
    body = create(client, world.clinician, episode["id"], EXAMPLE)

    def check(code, side, severity, value):
        found = finding(body, code, side)
        assert (found["severity"], found["value"]) == (severity, value), found
        assert found["message"]
        return found

    # Pain, informational.
    check("pain.nrs.rest", None, "info", 1)
    check("pain.nrs.activity", None, "info", 4)
    check("pain.nrs.running", None, "info", 6)
    # Modified Thomas test: right all three short, left normal.
    iliopsoas = check("thomas.iliopsoas_short", "right", "abnormal", -10)
    assert "Kendall" in iliopsoas["reference"]
    check("thomas.rectus_femoris_short", "right", "abnormal", 70)
    check("thomas.tfl_itb_short", "right", "abnormal", 20)
    check("thomas.normal", "left", "normal", None)
    assert not any(f["code"] == "thomas.result_disagrees" for f in body["findings"])
    # Trendelenburg: right stance positive and compensated, held 12 s.
    positive = check("trendelenburg.positive", "right", "abnormal", None)
    assert "right gluteus medius" in positive["message"]
    check("trendelenburg.compensated", "right", "abnormal", None)
    check("trendelenburg.hold_time", "right", "abnormal", 12)
    check("trendelenburg.negative", "left", "normal", None)
    check("trendelenburg.hold_time", "left", "normal", 30)
    # Hamstrings: right tight at 65, left normal at 80.
    check("hamstring.tight", "right", "abnormal", 65)
    check("hamstring.normal", "left", "normal", 80)
    # ROM: 8 of the AAOS 30 degrees, and painful.
    percent = check("rom.hip.extension.passive.percent_of_norm", "right", "info", 26.7)
    assert "AAOS" in percent["reference"]
    assert "30" in percent["reference"]
    check("rom.hip.extension.passive.painful", "right", "abnormal", None)
    # Strength, special test, squat, side plank, running form.
    check("strength.hip_abductors.weak", "right", "abnormal", 4)
    check("special_test.fadir.negative", "right", "normal", None)
    check("single_leg_squat.pelvic_drop", "right", "abnormal", None)
    check("single_leg_squat.pain", "right", "abnormal", None)
    check("single_leg_squat.normal", "left", "normal", None)
    check("side_plank.asymmetry", "right", "abnormal", 42.9)
    check("running_form.pelvic_drop", None, "abnormal", None)
    check("running_form.overstriding", None, "abnormal", None)
    check("running_form.cadence", None, "abnormal", 158)
    # LEFS: the sum of the 20 items (the API.md items add up to 58).
    assert sum(EXAMPLE["outcome_measures"]["lefs"]) == 58
    assert check("lefs.total", None, "info", 58)["message"] == "LEFS 58/80."
    # No previous assessment: nothing compared.
    assert not [f for f in body["findings"] if f["code"].startswith("compare.")]
    assert not [f for f in body["findings"] if f["code"] == "lefs.change"]


def test_rom_on_both_sides_gives_percent_of_norm_and_asymmetry(client, world, episode):
    body = create(
        client,
        world.clinician,
        episode["id"],
        {
            "kind": "initial",
            "performed_at": at(20),
            "rom": [
                {
                    "joint": "hip",
                    "motion": "flexion",
                    "side": "left",
                    "mode": "active",
                    "degrees": 120,
                },
                {
                    "joint": "hip",
                    "motion": "flexion",
                    "side": "right",
                    "mode": "active",
                    "degrees": 90,
                },
            ],
        },
    )
    assert finding(body, "rom.hip.flexion.active.percent_of_norm", "left")["value"] == 100
    assert finding(body, "rom.hip.flexion.active.percent_of_norm", "right")["value"] == 75
    asymmetry = finding(body, "rom.hip.flexion.active.asymmetry", "right")
    assert (asymmetry["value"], asymmetry["severity"]) == (25, "abnormal")


# --- Validation ---------------------------------------------------------------------------------


def _with(**parts: Any) -> dict:
    body = copy.deepcopy(EXAMPLE)
    body.update(parts)
    return body


def _thomas(side: str, **angles: Any) -> dict:
    thomas = copy.deepcopy(EXAMPLE["thomas_test"])
    thomas[side].update(angles)
    return _with(thomas_test=thomas)


def _rom(**entry: Any) -> dict:
    base = {"joint": "hip", "motion": "extension", "side": "right", "mode": "active", "degrees": 10}
    return _with(rom=[{**base, **entry}])


def _future() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


def _without(field: str) -> dict:
    body = copy.deepcopy(EXAMPLE)
    del body[field]
    return body


INVALID = [
    (_with(pain={"rest": 11}), "pain.rest"),
    (_with(pain={"rest": -1}), "pain.rest"),
    (_with(pain={"running": 2.5}), "pain.running"),
    (_with(pain={"activity": "4"}), "pain.activity"),
    (_with(pain={"location": ["knee"]}), "pain.location.0"),
    (_with(pain={"location": ["lateral", "lateral"]}), "pain.location"),
    (_with(pain={"rest": 1, "worst": 9}), "pain.worst"),
    (_thomas("right", hip_extension_deg=-61), "thomas_test.right.hip_extension_deg"),
    (_thomas("left", knee_flexion_deg=161), "thomas_test.left.knee_flexion_deg"),
    (_thomas("left", hip_abduction_deg=61), "thomas_test.left.hip_abduction_deg"),
    (_thomas("left", result="maybe"), "thomas_test.left.result"),
    (_with(thomas_test={"middle": {"result": "negative"}}), "thomas_test.middle"),
    (_with(trendelenburg={"left": {"hold_seconds": 30}}), "trendelenburg.left.result"),
    (_with(straight_leg_raise={"left": 131}), "straight_leg_raise.left"),
    (_rom(motion="adduction", degrees=61), "rom.0.degrees"),
    (_rom(motion="abduction", degrees=91), "rom.0.degrees"),
    (_rom(motion="extension", degrees=-31), "rom.0.degrees"),
    (_rom(motion="flexion", degrees=161), "rom.0.degrees"),
    (_rom(motion="circumduction"), "rom.0.motion"),
    (_rom(joint="knee"), "rom.0.joint"),
    (_rom(side="middle"), "rom.0.side"),
    (_rom(side="both"), "rom.0.side"),
    (_rom(mode="assisted"), "rom.0.mode"),
    (_rom(unit="rad"), "rom.0.unit"),
    (
        _with(
            rom=[
                {
                    "joint": "hip",
                    "motion": "extension",
                    "side": "right",
                    "mode": "passive",
                    "degrees": 8,
                },
                {
                    "joint": "hip",
                    "motion": "extension",
                    "side": "right",
                    "mode": "passive",
                    "degrees": 9,
                },
            ]
        ),
        "rom",
    ),
    (
        _with(strength=[{"muscle_group": "hip_abductors", "side": "right", "grade": 6}]),
        "strength.0.grade",
    ),
    (
        _with(strength=[{"muscle_group": "hip_abductors", "side": "right", "grade": 4.5}]),
        "strength.0.grade",
    ),
    (
        _with(strength=[{"muscle_group": "biceps", "side": "right", "grade": 4}]),
        "strength.0.muscle_group",
    ),
    (_with(outcome_measures={"lefs": [3] * 19}), "outcome_measures.lefs"),
    (_with(outcome_measures={"lefs": [3] * 21}), "outcome_measures.lefs"),
    (_with(outcome_measures={"lefs": [3, 3, 3, 3, 5] + [3] * 15}), "outcome_measures.lefs.4"),
    (_with(outcome_measures={"hoos": {"pain": 101}}), "outcome_measures.hoos.pain"),
    (
        _with(special_tests=[{"test": "lachman", "side": "right", "result": "negative"}]),
        "special_tests.0.test",
    ),
    (
        _with(special_tests=[{"test": "fadir", "side": "middle", "result": "negative"}]),
        "special_tests.0.side",
    ),
    (_with(functional={"plank_seconds": 901}), "functional.plank_seconds"),
    (
        _with(functional={"side_plank_seconds": {"middle": 20}}),
        "functional.side_plank_seconds.middle",
    ),
    (_with(running_form={"cadence_spm": 99}), "running_form.cadence_spm"),
    (_with(performed_at="2999-01-01T00:00:00Z"), "performed_at"),
    (_with(performed_at="yesterday"), "performed_at"),
    (_with(kind="follow_up"), "kind"),
    (_with(status="final"), "status"),
    (_with(findings=[]), "findings"),
    (_with(temperature=37), "temperature"),
    (_without("kind"), "kind"),
    (_without("performed_at"), "performed_at"),
    (_with(amends={"id": str(uuid.uuid4())}), "amends.reason"),
]


@pytest.mark.parametrize(("body", "field"), INVALID)
def test_invalid_assessment_is_refused_naming_the_field_and_nothing_is_stored(
    client, world, episode, app, body, field
):
    response = post_assessment(client, world.clinician, episode["id"], body)
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["type"] == "/problems/validation-error"
    assert field in response.json["errors"], response.json
    assert count_assessments(app) == 0


def test_performed_at_tomorrow_is_in_the_future(client, world, episode, app):
    response = post_assessment(
        client, world.clinician, episode["id"], _with(performed_at=_future())
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["performed_at"]
    assert count_assessments(app) == 0


def test_range_limits_themselves_are_accepted(client, world, episode):
    body = create(
        client,
        world.clinician,
        episode["id"],
        {
            "kind": "initial",
            "performed_at": at(20),
            "pain": {"rest": 0, "activity": 10},
            "thomas_test": {"left": {"hip_extension_deg": -60, "knee_flexion_deg": 160}},
            "rom": [
                {
                    "joint": "hip",
                    "motion": "adduction",
                    "side": "left",
                    "mode": "active",
                    "degrees": 60,
                },
                {
                    "joint": "hip",
                    "motion": "extension",
                    "side": "left",
                    "mode": "active",
                    "degrees": -30,
                },
            ],
            "strength": [{"muscle_group": "core", "side": "both", "grade": 0}],
            "outcome_measures": {"lefs": [0] * 20},
        },
    )
    assert finding(body, "lefs.total")["value"] == 0
    assert finding(body, "thomas.iliopsoas_short", "left")["value"] == -60


def test_missing_required_fields_are_each_named(client, world, episode):
    response = post_assessment(client, world.clinician, episode["id"], {})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"kind", "performed_at"}


# --- Finalise and edit ------------------------------------------------------------------------


def test_finalize_freezes_the_assessment(client, world, episode, app):
    draft = create(client, world.clinician, episode["id"], EXAMPLE)
    final = finalize(client, world.clinician, draft["id"])
    assert final["status"] == "final"
    assert final["finalized_at"] is not None
    assert final["version"] == 2
    for part in PARTS:
        assert final[part] == draft[part], part
    assert final["findings"] == draft["findings"]

    response = patch(client, world.clinician, draft["id"], {"pain": {"rest": 0}}, version=2)
    assert response.status_code == 409
    assert "amends" in response.json["detail"]
    assert patch(client, world.clinician, draft["id"], {"notes": "x"}, version=2).status_code == 409
    again = client.post(
        f"/api/v1/assessments/{draft['id']}/finalize", headers=world.clinician.headers
    )
    assert again.status_code == 409
    assert read(client, world.clinician, draft["id"]) == final
    assert changes_for(app, draft["id"]) == [("created", 1), ("updated", 2)]


def test_finalize_checks_if_match_when_sent(client, world, episode):
    draft = create(client, world.clinician, episode["id"], EXAMPLE)
    url = f"/api/v1/assessments/{draft['id']}/finalize"
    stale = client.post(url, headers={**world.clinician.headers, "If-Match": '"5"'})
    assert stale.status_code == 412
    assert read(client, world.clinician, draft["id"])["status"] == "draft"
    ok = client.post(url, headers={**world.clinician.headers, "If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.headers["ETag"] == '"2"'


def test_patch_of_a_draft_needs_if_match_and_refuses_a_stale_one(client, world, episode):
    draft = create(client, world.clinician, episode["id"], EXAMPLE)
    missing = patch(client, world.clinician, draft["id"], {"pain": {"rest": 2}}, version=None)
    assert missing.status_code == 428
    stale = patch(client, world.clinician, draft["id"], {"pain": {"rest": 2}}, version=3)
    assert stale.status_code == 412
    assert read(client, world.clinician, draft["id"]) == draft


def test_patch_replaces_the_parts_sent_and_null_removes_a_part(client, world, episode, app):
    draft = create(client, world.clinician, episode["id"], EXAMPLE)
    response = patch(
        client,
        world.clinician,
        draft["id"],
        {
            "pain": {"rest": 2, "running": 5},
            "rom": None,
            "straight_leg_raise": {"left": 85, "right": 72},
            "kind": "progress",
            "notes": "Re-measured",
        },
        version=1,
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["pain"] == {"rest": 2, "running": 5}  # replaced as a whole
    assert body["rom"] is None
    assert body["straight_leg_raise"] == {"left": 85, "right": 72}
    assert (body["kind"], body["notes"], body["status"]) == ("progress", "Re-measured", "draft")
    for part in ("thomas_test", "trendelenburg", "strength", "functional", "outcome_measures"):
        assert body[part] == EXAMPLE[part], part
    assert body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert not [f for f in body["findings"] if f["code"].startswith("rom.")]
    assert not [f for f in body["findings"] if f["code"] == "pain.nrs.activity"]
    assert finding(body, "pain.nrs.rest")["value"] == 2
    assert finding(body, "hamstring.normal", "right")["value"] == 72
    assert read(client, world.clinician, draft["id"]) == body
    assert changes_for(app, draft["id"]) == [("created", 1), ("updated", 2)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pain": {"rest": 11}}, "pain.rest"),
        ({"kind": None}, "kind"),
        ({"performed_at": None}, "performed_at"),
        ({"amends": {"id": str(uuid.uuid4()), "reason": "x"}}, "amends"),
        ({"status": "final"}, "status"),
        ({"rom": [{"joint": "hip", "motion": "flexion"}]}, "rom.0.side"),
    ],
)
def test_invalid_patch_is_refused_and_changes_nothing(client, world, episode, changes, field):
    draft = create(client, world.clinician, episode["id"], EXAMPLE)
    response = patch(client, world.clinician, draft["id"], changes, version=1)
    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert read(client, world.clinician, draft["id"]) == draft


# --- Amendments ---------------------------------------------------------------------------------


def test_an_amendment_supersedes_the_assessment_it_corrects(client, world, episode, app):
    original = create_final(client, world.clinician, episode["id"], EXAMPLE)
    corrected_rom = [{**EXAMPLE["rom"][0], "degrees": 12}]
    amendment = create(
        client,
        world.clinician,
        episode["id"],
        _with(
            rom=corrected_rom,
            amends={"id": original["id"], "reason": "Goniometer read from the wrong arm"},
        ),
    )
    assert amendment["status"] == "draft"
    assert amendment["amends"] == {
        "id": original["id"],
        "reason": "Goniometer read from the wrong arm",
    }
    # Until the amendment is final the original stands.
    assert read(client, world.clinician, original["id"])["superseded_by_id"] is None
    before = progress(
        client, world.clinician, episode["id"], metric="rom.hip.extension", side="right"
    )
    assert [(p["value"], p["source_id"]) for p in before.json["points"]] == [(8, original["id"])]

    final = finalize(client, world.clinician, amendment["id"])
    assert final["status"] == "final"
    assert final["amends"]["id"] == original["id"]
    # The amendment is not compared with the assessment it replaces.
    assert final["compared_with_id"] is None
    superseded = read(client, world.clinician, original["id"])
    assert superseded["superseded_by_id"] == amendment["id"]
    assert superseded["status"] == "final"
    assert superseded["rom"] == EXAMPLE["rom"]  # never changed
    assert changes_for(app, original["id"]) == [("created", 1), ("updated", 2), ("updated", 3)]

    after = progress(
        client, world.clinician, episode["id"], metric="rom.hip.extension", side="right"
    )
    assert after.status_code == 200
    assert [(p["value"], p["source_id"]) for p in after.json["points"]] == [(12, amendment["id"])]
    # The episode still counts one finalised assessment: it may move to assessed.
    moved = client.post(
        f"/api/v1/episodes/{episode['id']}/transitions",
        json={"to": "assessed"},
        headers=world.clinician.headers,
    )
    assert moved.status_code == 200


def test_a_superseded_assessment_is_not_compared_with_its_amendment(client, world, episode):
    original = create_final(client, world.clinician, episode["id"], EXAMPLE)
    amendment = create_final(
        client,
        world.clinician,
        episode["id"],
        _with(amends={"id": original["id"], "reason": "Typo in the LEFS"}),
    )
    superseded = read(client, world.clinician, original["id"])
    assert superseded["superseded_by_id"] == amendment["id"]
    assert superseded["compared_with_id"] is None


def test_amending_a_draft_is_a_conflict(client, world, episode, app):
    draft = create(client, world.clinician, episode["id"], EXAMPLE)
    response = post_assessment(
        client,
        world.clinician,
        episode["id"],
        _with(amends={"id": draft["id"], "reason": "Correction"}),
    )
    assert response.status_code == 409
    assert "draft" in response.json["detail"]
    assert count_assessments(app) == 1


def test_amending_a_superseded_assessment_is_a_conflict(client, world, episode, app):
    original = create_final(client, world.clinician, episode["id"], EXAMPLE)
    create_final(
        client,
        world.clinician,
        episode["id"],
        _with(amends={"id": original["id"], "reason": "First correction"}),
    )
    response = post_assessment(
        client,
        world.clinician,
        episode["id"],
        _with(amends={"id": original["id"], "reason": "Second correction"}),
    )
    assert response.status_code == 409
    assert "already amended" in response.json["detail"]
    assert count_assessments(app) == 2


def test_two_drafts_amending_one_assessment_only_one_can_be_finalised(client, world, episode):
    original = create_final(client, world.clinician, episode["id"], EXAMPLE)
    first, second = (
        create(
            client,
            world.clinician,
            episode["id"],
            _with(amends={"id": original["id"], "reason": reason}),
        )
        for reason in ("One", "Two")
    )
    finalize(client, world.clinician, first["id"])
    refused = client.post(
        f"/api/v1/assessments/{second['id']}/finalize", headers=world.clinician.headers
    )
    assert refused.status_code == 409
    assert read(client, world.clinician, second["id"])["status"] == "draft"
    assert read(client, world.clinician, original["id"])["superseded_by_id"] == first["id"]


def test_amends_must_name_an_assessment_of_this_episode(client, world, episode, app):
    other_episode = open_episode(client, world.clinician, world.patient_id)
    elsewhere = create_final(client, world.clinician, other_episode["id"], EXAMPLE)
    theirs_episode = open_episode(client, world.other_admin, world.other_patient_id)
    theirs = create_final(client, world.other_admin, theirs_episode["id"], EXAMPLE)
    for target in (elsewhere["id"], theirs["id"], str(uuid.uuid4())):
        response = post_assessment(
            client,
            world.clinician,
            episode["id"],
            _with(amends={"id": target, "reason": "Correction"}),
        )
        assert response.status_code == 422, target
        assert list(response.json["errors"]) == ["amends.id"]
    assert count_assessments(app) == 2


# --- Comparison with the previous finalised assessment -------------------------------------------

SECOND = {
    "kind": "progress",
    "performed_at": at(25),
    "pain": {"rest": 0, "activity": 2, "running": 3},
    "thomas_test": {
        "left": {"hip_extension_deg": 5, "knee_flexion_deg": 85, "hip_abduction_deg": 5},
        "right": {"hip_extension_deg": -5, "knee_flexion_deg": 78, "hip_abduction_deg": 12},
    },
    "straight_leg_raise": {"left": 80, "right": 60},
    "rom": [
        {"joint": "hip", "motion": "extension", "side": "right", "mode": "passive", "degrees": 14}
    ],
    "outcome_measures": {"lefs": [4] * 20},
}


def test_a_later_assessment_is_compared_with_the_previous_finalised_one(client, world, episode):
    first = create_final(client, world.clinician, episode["id"], EXAMPLE)
    second = create_final(client, world.clinician, episode["id"], SECOND)
    assert second["compared_with_id"] == first["id"]

    def compare(code, side=None):
        found = finding(second, f"compare.{code}", side)
        assert found["reference"].startswith("Previous finalised assessment")
        return found["value"], found["severity"]

    assert compare("rom.hip.extension", "right") == (6, "normal")
    assert compare("thomas.hip_extension", "right") == (5, "normal")
    assert compare("thomas.hip_extension", "left") == (0, "normal")
    assert compare("thomas.knee_flexion", "right") == (8, "normal")
    assert compare("thomas.hip_abduction", "right") == (-8, "normal")  # lower is better
    assert compare("slr", "right") == (-5, "abnormal")
    assert compare("slr", "left") == (0, "normal")
    assert compare("pain.nrs.rest") == (-1, "normal")
    assert compare("pain.nrs.activity") == (-2, "normal")
    assert compare("pain.nrs.running") == (-3, "normal")
    assert compare("lefs.total") == (22, "normal")
    # Only metrics measured both times are compared.
    compared = {c for c, _ in codes(second) if c.startswith("compare.")}
    assert "compare.plank.seconds" not in compared
    assert "compare.walking.minutes_pain_free" not in compared
    assert "compare.side_plank.seconds" not in compared

    change = finding(second, "lefs.change")
    assert (change["value"], change["severity"]) == (22, "normal")
    assert "58 -> 80" in change["message"]
    assert "clinically important improvement" in change["message"]
    assert "9" in change["reference"]
    assert finding(second, "lefs.total")["value"] == 80

    # The first is still compared with nothing.
    assert read(client, world.clinician, first["id"])["compared_with_id"] is None


@pytest.mark.parametrize(
    ("delta", "severity", "meaning"),
    [
        (9, "normal", "clinically important improvement"),
        (8, "info", "smaller than the minimal clinically important difference"),
        (-8, "info", "smaller than the minimal clinically important difference"),
        (-9, "abnormal", "clinically important worsening"),
    ],
)
def test_lefs_change_is_judged_against_the_mcid(client, world, episode, delta, severity, meaning):
    create_final(
        client,
        world.clinician,
        episode["id"],
        {"kind": "initial", "performed_at": at(20), "outcome_measures": {"lefs": lefs_items(40)}},
    )
    later = create(
        client,
        world.clinician,
        episode["id"],
        {
            "kind": "progress",
            "performed_at": at(24),
            "outcome_measures": {"lefs": lefs_items(40 + delta)},
        },
    )
    change = finding(later, "lefs.change")
    assert (change["value"], change["severity"]) == (delta, severity)
    assert meaning in change["message"]
    assert finding(later, "compare.lefs.total")["value"] == delta


def test_drafts_are_never_the_comparison_baseline(client, world, episode):
    create(client, world.clinician, episode["id"], EXAMPLE)  # a draft only
    later = create(client, world.clinician, episode["id"], SECOND)
    assert later["compared_with_id"] is None
    assert not [c for c, _ in codes(later) if c.startswith("compare.")]


def test_comparison_uses_the_latest_earlier_finalised_assessment(client, world, episode):
    first = create_final(client, world.clinician, episode["id"], _with(performed_at=at(10)))
    second = create_final(client, world.clinician, episode["id"], _with(performed_at=at(15)))
    # Recorded late, but performed in between: compared with the first.
    between = create_final(client, world.clinician, episode["id"], _with(performed_at=at(12)))
    assert between["compared_with_id"] == first["id"]
    assert read(client, world.clinician, second["id"])["compared_with_id"] == between["id"]


def test_two_assessments_performed_at_the_same_time_are_not_compared_both_ways(
    client, world, episode
):
    first = create_final(client, world.clinician, episode["id"], _with(performed_at=at(20)))
    second = create_final(client, world.clinician, episode["id"], _with(performed_at=at(20)))
    baselines = {
        first["id"]: read(client, world.clinician, first["id"])["compared_with_id"],
        second["id"]: read(client, world.clinician, second["id"])["compared_with_id"],
    }
    # One of them comes first: it is compared with nothing, the other with it.
    (earlier,) = [i for i, baseline in baselines.items() if baseline is None]
    (later,) = [i for i in baselines if i != earlier]
    assert baselines[later] == earlier


# --- Other clinics and closed episodes ----------------------------------------------------------


def test_another_clinics_assessment_is_not_found(client, world, app):
    theirs_episode = open_episode(client, world.other_admin, world.other_patient_id)
    theirs = create(client, world.other_admin, theirs_episode["id"], EXAMPLE)
    url = f"/api/v1/assessments/{theirs['id']}"
    headers = {**world.clinician.headers, "If-Match": '"1"'}
    got = client.get(url, headers=headers)
    assert got.status_code == 404
    assert got.json["detail"] == "No such assessment."
    patched = client.patch(url, json={"pain": {"rest": 0}}, headers=headers)
    assert patched.status_code == 404
    finalized = client.post(f"{url}/finalize", headers=headers)
    assert finalized.status_code == 404
    episode_url = f"/api/v1/episodes/{theirs_episode['id']}"
    assert client.get(f"{episode_url}/assessments", headers=headers).status_code == 404
    assert (
        client.post(f"{episode_url}/assessments", json=EXAMPLE, headers=headers).status_code == 404
    )
    assert (
        client.get(
            f"{episode_url}/progress?metric=lefs.total", headers=world.clinician.headers
        ).status_code
        == 404
    )
    # Theirs is untouched.
    assert read(client, world.other_admin, theirs["id"]) == theirs
    assert count_assessments(app) == 1


def test_a_cancelled_episode_takes_no_assessment(client, world, episode, app):
    draft = create(client, world.clinician, episode["id"], EXAMPLE)
    cancelled = client.post(
        f"/api/v1/episodes/{episode['id']}/transitions",
        json={"to": "cancelled", "reason": "Opened for the wrong patient"},
        headers=world.clinician.headers,
    )
    assert cancelled.status_code == 200
    response = post_assessment(client, world.clinician, episode["id"], EXAMPLE)
    assert response.status_code == 409
    assert "cancelled" in response.json["detail"]
    assert count_assessments(app) == 1
    # Its draft can be neither edited nor finalised.
    assert patch(client, world.clinician, draft["id"], {"notes": "x"}, version=1).status_code == 409
    refused = client.post(
        f"/api/v1/assessments/{draft['id']}/finalize", headers=world.clinician.headers
    )
    assert refused.status_code == 409
    assert read(client, world.clinician, draft["id"]) == draft
    # Reading stays possible.
    listed = client.get(
        f"/api/v1/episodes/{episode['id']}/assessments", headers=world.clinician.headers
    )
    assert [a["id"] for a in listed.json["items"]] == [draft["id"]]


def test_unknown_assessment_and_episode_are_not_found(client, world):
    headers = {**world.clinician.headers, "If-Match": '"1"'}
    assert client.get(f"/api/v1/assessments/{uuid.uuid4()}", headers=headers).status_code == 404
    response = post_assessment(client, world.clinician, uuid.uuid4(), EXAMPLE)
    assert response.status_code == 404
    assert response.json["detail"] == "No such episode."


# --- Progress and metrics ---------------------------------------------------------------------


def test_progress_is_the_metric_over_finalised_assessments_in_time_order(client, world, episode):
    def rom_extension(degrees: float) -> list[dict]:
        return [
            {
                "joint": "hip",
                "motion": "extension",
                "side": "right",
                "mode": "active",
                "degrees": degrees,
            }
        ]

    late = create_final(
        client,
        world.clinician,
        episode["id"],
        {"kind": "progress", "performed_at": at(24), "rom": rom_extension(20)},
    )
    early = create_final(
        client,
        world.clinician,
        episode["id"],
        {"kind": "initial", "performed_at": at(10), "rom": rom_extension(8)},
    )
    middle = create_final(
        client,
        world.clinician,
        episode["id"],
        {"kind": "progress", "performed_at": at(17), "rom": rom_extension(14)},
    )
    # Neither a draft nor an assessment without the metric adds a point.
    create(
        client,
        world.clinician,
        episode["id"],
        {"kind": "progress", "performed_at": at(25), "rom": rom_extension(30)},
    )
    create_final(
        client,
        world.clinician,
        episode["id"],
        {"kind": "progress", "performed_at": at(22), "pain": {"rest": 0}},
    )

    response = progress(
        client, world.clinician, episode["id"], metric="rom.hip.extension", side="right"
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["metric"] == "rom.hip.extension"
    assert body["side"] == "right"
    assert (body["unit"], body["better"]) == ("deg", "higher")
    assert body["label"]
    assert [(p["value"], p["source"], p["source_id"]) for p in body["points"]] == [
        (8, "assessment", early["id"]),
        (14, "assessment", middle["id"]),
        (20, "assessment", late["id"]),
    ]
    assert [p["at"][:10] for p in body["points"]] == ["2026-11-10", "2026-11-17", "2026-11-24"]
    left = progress(client, world.clinician, episode["id"], metric="rom.hip.extension", side="left")
    assert left.json["points"] == []


def test_progress_of_a_metric_that_is_not_per_side(client, world, episode):
    create_final(client, world.clinician, episode["id"], EXAMPLE)
    create_final(client, world.clinician, episode["id"], SECOND)
    body = progress(client, world.clinician, episode["id"], metric="lefs.total").json
    assert body["side"] is None
    assert [p["value"] for p in body["points"]] == [58, 80]
    # A side sent for a whole-body metric is ignored.
    with_side = progress(client, world.clinician, episode["id"], metric="lefs.total", side="left")
    assert with_side.json["points"] == body["points"]
    assert with_side.json["side"] is None
    pain = progress(client, world.clinician, episode["id"], metric="pain.nrs.running").json
    assert ([p["value"] for p in pain["points"]], pain["better"]) == ([6, 3], "lower")
    runs = progress(client, world.clinician, episode["id"], metric="run.continuous_minutes")
    assert runs.status_code == 200
    assert runs.json["points"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"metric": "rom.hip.wiggle", "side": "right"}, "metric"),
        ({"metric": "rom.hip.extension"}, "side"),
        ({"metric": "slr"}, "side"),
        ({"metric": "rom.hip.extension", "side": "middle"}, "side"),
        ({"metric": "rom.hip.extension", "side": "both"}, "side"),
        ({}, "metric"),
    ],
)
def test_bad_progress_queries_are_422_naming_the_parameter(client, world, episode, query, field):
    response = progress(client, world.clinician, episode["id"], **query)
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in response.json["errors"], response.json


def test_the_metric_catalogue_lists_every_api_metric(client, world):
    response = client.get("/api/v1/metrics", headers=world.clinician.headers)
    assert response.status_code == 200
    items = response.json["items"]
    by_code = {m["code"]: m for m in items}
    assert len(by_code) == len(items)  # no duplicates
    assert set(API_CODES) <= set(by_code)  # every metric code API.md names
    for metric in items:
        assert set(metric) == {"code", "label", "unit", "better", "per_side", "source"}
        assert isinstance(metric["label"], str) and metric["label"]
        assert isinstance(metric["unit"], str) and metric["unit"]
        assert metric["better"] in ("higher", "lower")
        assert isinstance(metric["per_side"], bool)
    for motion in ("flexion", "extension", "abduction", "adduction"):
        assert by_code[f"rom.hip.{motion}"]["unit"] == "deg"
    expected = {
        "rom.hip.internal_rotation": ("deg", "higher", True),
        "thomas.hip_extension": ("deg", "higher", True),
        "slr": ("deg", "higher", True),
        "pain.nrs.rest": ("{score}", "lower", False),
        "pain.nrs.activity": ("{score}", "lower", False),
        "pain.nrs.running": ("{score}", "lower", False),
        "lefs.total": ("{score}", "higher", False),
        "plank.seconds": ("s", "higher", False),
        "side_plank.seconds": ("s", "higher", True),
        "walking.minutes_pain_free": ("min", "higher", False),
        "run.continuous_minutes": ("min", "higher", False),
        "hep.adherence_percent": ("%", "higher", False),
    }
    for code, (unit, better, per_side) in expected.items():
        metric = by_code[code]
        assert (metric["unit"], metric["better"], metric["per_side"]) == (unit, better, per_side)
    assert by_code["run.continuous_minutes"]["source"] == "run"
    assert by_code["lefs.total"]["source"] == "assessment"
    assert client.get("/api/v1/metrics").status_code == 401


# --- Listing ----------------------------------------------------------------------------------


def test_list_shows_the_episodes_assessments_oldest_first_with_findings(client, world, episode):
    second = create(client, world.clinician, episode["id"], SECOND)
    first = create_final(client, world.clinician, episode["id"], EXAMPLE)
    other_episode = open_episode(client, world.clinician, world.patient_id)
    create(client, world.clinician, other_episode["id"], EXAMPLE)

    response = client.get(
        f"/api/v1/episodes/{episode['id']}/assessments", headers=world.clinician.headers
    )
    assert response.status_code == 200
    items = response.json["items"]
    assert [a["id"] for a in items] == [first["id"], second["id"]]
    assert response.json["next_cursor"] is None
    assert items[0] == read(client, world.clinician, first["id"])
    assert items[1]["compared_with_id"] == first["id"]
    assert finding(items[1], "lefs.change")["value"] == 22

    page = client.get(
        f"/api/v1/episodes/{episode['id']}/assessments?limit=1", headers=world.clinician.headers
    ).json
    assert [a["id"] for a in page["items"]] == [first["id"]]
    rest = client.get(
        f"/api/v1/episodes/{episode['id']}/assessments?limit=1&cursor={page['next_cursor']}",
        headers=world.clinician.headers,
    ).json
    assert [a["id"] for a in rest["items"]] == [second["id"]]
    assert rest["next_cursor"] is None


def test_listing_costs_the_same_statements_for_2_or_50_assessments(
    client, factory, world, episode, count_statements
):
    body = {part: EXAMPLE[part] for part in PARTS}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    added = [0]

    def add(n: int) -> None:
        with factory.session() as session:
            for _ in range(n):
                i = added[0]
                added[0] += 1
                session.add(
                    Assessment(
                        clinic_id=world.clinic_id,
                        episode_id=uuid.UUID(episode["id"]),
                        patient_id=world.patient_id,
                        kind="progress",
                        performed_at=start + timedelta(hours=i),
                        clinician_id=world.clinician.id,
                        status="final" if i % 2 == 0 else "draft",
                        body=body,
                    )
                )

    url = f"/api/v1/episodes/{episode['id']}/assessments?limit=200"

    def statements_to_list(expected_rows: int) -> list[str]:
        client.get(url, headers=world.clinician.headers)  # the token is touched
        with count_statements() as counter:
            response = client.get(url, headers=world.clinician.headers)
        assert response.status_code == 200
        items = response.json["items"]
        assert len(items) == expected_rows
        assert items[1]["compared_with_id"] == items[0]["id"]
        assert all(a["findings"] for a in items)
        return list(counter.statements)

    add(2)
    few = statements_to_list(2)
    add(48)
    many = statements_to_list(50)
    assert len(few) == len(many), "\n".join(s[:120] for s in many)
    # the token, the episode (and its diagnoses, eagerly loaded), the page, the finalised
    # ones (the comparison baseline), one audit insert for all rows
    assert len(many) == 6, "\n".join(s[:120] for s in many)


# --- Audit ------------------------------------------------------------------------------------


def test_assessment_reads_and_writes_are_audited(client, world, episode):
    draft = create(client, world.clinician, episode["id"], EXAMPLE)
    read(client, world.clinician, draft["id"])
    patch(client, world.clinician, draft["id"], {"notes": "ok"}, version=1)
    finalize(client, world.clinician, draft["id"])
    progress(client, world.clinician, episode["id"], metric="lefs.total")
    trail = client.get(
        "/api/v1/audit-events",
        query_string={"actor_id": str(world.clinician.id), "limit": 200},
        headers=world.admin.headers,
    ).json["items"]
    assessment_events = [
        (e["action"], e["resource_type"], e["resource_id"])
        for e in trail
        if e["resource_type"] in ("assessment", "progress")
    ]
    assert assessment_events == [
        ("create", "assessment", draft["id"]),
        ("read", "assessment", draft["id"]),
        ("update", "assessment", draft["id"]),
        ("finalize", "assessment", draft["id"]),
        ("read", "progress", episode["id"]),
    ]
    assert {e["patient_id"] for e in trail} == {str(world.patient_id)}
