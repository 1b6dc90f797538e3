"""The FHIR R4 view: valid resources with codes from their value sets, searches, paging,
tenancy, scopes, OperationOutcomes for every error, audit, constant statements per page.

Structure is checked by the ``fhir.resources`` R4B models; they do not check codes
(a bogus status passes), so every coded element is checked here against its FHIR
value set. Patients, episodes and assessments are made through the API; goals,
programs and exercises are inserted with the ORM (their routes are being written
alongside this view, which only reads their tables).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.episodeofcare import EpisodeOfCare
from fhir.resources.R4B.goal import Goal as FhirGoal
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient
from sqlalchemy import select

from clinic.assessments.models import FINAL, Assessment
from clinic.core.audit import AuditEvent
from clinic.core.pagination import encode_cursor
from clinic.core.tenancy import all_clinics
from clinic.episodes.models import Diagnosis, Episode
from clinic.exercises.models import Exercise
from clinic.extensions import db
from clinic.fhir import mapping
from clinic.goals.models import Goal
from clinic.programs.models import Program, ProgramItem

FHIR_JSON = "application/fhir+json"
BASE = "/fhir/R4"
TYPES = ("Patient", "EpisodeOfCare", "Condition", "Observation", "Goal", "CarePlan")
BY_PATIENT = TYPES[1:]


# --- FHIR value sets (R4), checked here because the models do not ---------------

ADMINISTRATIVE_GENDER = {"male", "female", "other", "unknown"}
EPISODE_OF_CARE_STATUS = {
    "planned",
    "waitlist",
    "active",
    "onhold",
    "finished",
    "cancelled",
    "entered-in-error",
}
CONDITION_CLINICAL = {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
CONDITION_VERIFICATION = {
    "unconfirmed",
    "provisional",
    "differential",
    "confirmed",
    "refuted",
    "entered-in-error",
}
OBSERVATION_STATUS = {
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
}
GOAL_LIFECYCLE = {
    "proposed",
    "planned",
    "accepted",
    "active",
    "on-hold",
    "completed",
    "cancelled",
    "entered-in-error",
    "rejected",
}
GOAL_ACHIEVEMENT = {
    "in-progress",
    "improving",
    "worsening",
    "no-change",
    "achieved",
    "sustaining",
    "not-achieved",
    "no-progress",
    "not-attainable",
}
GOAL_CATEGORY = {"dietary", "safety", "behavioral", "nursing", "physiotherapy"}
CARE_PLAN_STATUS = {
    "draft",
    "active",
    "on-hold",
    "revoked",
    "completed",
    "entered-in-error",
    "unknown",
}
CARE_PLAN_INTENT = {"proposal", "plan", "order", "option"}
CARE_PLAN_ACTIVITY_STATUS = {
    "not-started",
    "scheduled",
    "in-progress",
    "on-hold",
    "completed",
    "cancelled",
    "stopped",
    "unknown",
    "entered-in-error",
}
QUANTITY_COMPARATOR = {"<", "<=", ">=", ">"}
ISSUE_SEVERITY = {"fatal", "error", "warning", "information"}
ISSUE_TYPE = {
    "invalid",
    "structure",
    "required",
    "value",
    "invariant",
    "security",
    "login",
    "unknown",
    "expired",
    "forbidden",
    "suppressed",
    "processing",
    "not-supported",
    "duplicate",
    "multiple-matches",
    "not-found",
    "deleted",
    "too-long",
    "code-invalid",
    "extension",
    "too-costly",
    "business-rule",
    "conflict",
    "transient",
    "lock-error",
    "no-store",
    "exception",
    "timeout",
    "incomplete",
    "throttled",
    "informational",
}
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
LATERALITY_URL = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
LATERALITY = {"left": "7771000", "right": "24028007", "both": "51440002"}
# UCUM expressions our quantities use: atoms deg (degree of angle), s, min, %, and
# annotations in braces (UCUM's "{...}", a unit of 1), alone or over an atom.
UCUM_UNITS = {"deg", "s", "min", "%", "{score}", "{grade}", "{reps}", "{boolean}", "{steps}/min"}
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

MODELS: dict[str, Any] = {
    "Patient": FhirPatient,
    "EpisodeOfCare": EpisodeOfCare,
    "Condition": Condition,
    "Observation": Observation,
    "Goal": FhirGoal,
    "CarePlan": CarePlan,
    "Bundle": Bundle,
    "OperationOutcome": OperationOutcome,
    "CapabilityStatement": CapabilityStatement,
}


def codes(concept: dict[str, Any], system: str) -> list[str]:
    return [c["code"] for c in concept.get("coding", []) if c.get("system") == system]


def check_laterality(site: dict[str, Any]) -> str:
    (extension,) = [e for e in site["extension"] if e["url"] == LATERALITY_URL]
    (code,) = codes(extension["valueCodeableConcept"], SNOMED)
    assert code in LATERALITY.values()
    return code


def check_quantity(quantity: dict[str, Any]) -> None:
    assert quantity["system"] == UCUM
    assert quantity["code"] in UCUM_UNITS
    assert "comparator" not in quantity or quantity["comparator"] in QUANTITY_COMPARATOR


def check_codes(resource: dict[str, Any]) -> None:
    """Every coded element against its FHIR value set."""
    kind = resource["resourceType"]
    if kind == "Patient":
        assert resource["gender"] in ADMINISTRATIVE_GENDER
    elif kind == "EpisodeOfCare":
        assert resource["status"] in EPISODE_OF_CARE_STATUS
    elif kind == "Condition":
        clinical = "http://terminology.hl7.org/CodeSystem/condition-clinical"
        verification = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
        assert set(codes(resource["clinicalStatus"], clinical)) <= CONDITION_CLINICAL
        assert codes(resource["clinicalStatus"], clinical)
        assert codes(resource["verificationStatus"], verification)
        assert set(codes(resource["verificationStatus"], verification)) <= CONDITION_VERIFICATION
        for site in resource["bodySite"]:
            check_laterality(site)
    elif kind == "Observation":
        assert resource["status"] in OBSERVATION_STATUS
        category = "http://terminology.hl7.org/CodeSystem/observation-category"
        assert codes(resource["category"][0], category) == ["exam"]
        quantities = [resource["valueQuantity"]] if "valueQuantity" in resource else []
        quantities += [
            c["valueQuantity"] for c in resource.get("component", []) if "valueQuantity" in c
        ]
        for quantity in quantities:
            check_quantity(quantity)
        if "bodySite" in resource:
            check_laterality(resource["bodySite"])
    elif kind == "Goal":
        assert resource["lifecycleStatus"] in GOAL_LIFECYCLE
        achievement = "http://terminology.hl7.org/CodeSystem/goal-achievement"
        (code,) = codes(resource["achievementStatus"], achievement)
        assert code in GOAL_ACHIEVEMENT
        categories = [
            c
            for concept in resource["category"]
            for c in codes(concept, "http://terminology.hl7.org/CodeSystem/goal-category")
        ]
        assert categories == ["physiotherapy"] and set(categories) <= GOAL_CATEGORY
        for target in resource["target"]:
            check_quantity(target["detailQuantity"])
    elif kind == "CarePlan":
        assert resource["status"] in CARE_PLAN_STATUS
        assert resource["intent"] in CARE_PLAN_INTENT
        for activity in resource.get("activity", []):
            assert activity["detail"]["status"] in CARE_PLAN_ACTIVITY_STATUS
    elif kind == "OperationOutcome":
        for issue in resource["issue"]:
            assert issue["severity"] in ISSUE_SEVERITY
            assert issue["code"] in ISSUE_TYPE


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """Valid against its R4B model, with a FHIR id, and its codes in their value sets."""
    MODELS[resource["resourceType"]].model_validate(resource)
    if "id" in resource:
        assert FHIR_ID.match(resource["id"]), resource["id"]
    check_codes(resource)
    return resource


# --- requests ----------------------------------------------------------------


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def fhir(client, path: str, headers: dict[str, str] | None = None, status: int = 200, **query):
    response = client.get(f"{BASE}/{path}", headers=headers or {}, query_string=query)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == FHIR_JSON
    return response


def outcome(response, status: int, issue_code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == FHIR_JSON
    body = valid(response.get_json())
    assert body["resourceType"] == "OperationOutcome"
    assert [issue["code"] for issue in body["issue"]][0] == issue_code
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def search(client, headers, resource_type: str, **query) -> dict[str, Any]:
    bundle = valid(fhir(client, resource_type, headers, **query).get_json())
    assert bundle["type"] == "searchset"
    for entry in bundle.get("entry", []):
        assert entry["search"] == {"mode": "match"}
        resource = entry["resource"]
        assert resource["resourceType"] == resource_type
        assert entry["fullUrl"].endswith(f"{BASE}/{resource_type}/{resource['id']}")
        valid(resource)
    return bundle


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle.get("entry", [])]


def next_link(bundle: dict[str, Any]) -> str | None:
    links = {link["relation"]: link["url"] for link in bundle["link"]}
    return links.get("next")


def follow(client, headers, url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == FHIR_JSON
    return valid(response.get_json())


def api_key(client, admin, scopes: list[str]) -> str:
    response = client.post(
        "/api/v1/api-clients", json={"name": "EHR", "scopes": scopes}, headers=admin.headers
    )
    assert response.status_code == 201, response.json
    return response.json["key"]


@pytest.fixture
def reader(client, world) -> dict[str, str]:
    """An integration's credentials: an API key with the fhir:read scope only."""
    return bearer(api_key(client, world.admin, ["fhir:read"]))


# --- building a record ---------------------------------------------------------

EPISODE = {
    "title": "Right lateral hip pain",
    "side": "right",
    "onset_date": "2026-10-01",
    "diagnoses": [
        {"code": "gluteal_tendinopathy", "side": "right", "note": "Pain on single-leg stance."},
        {"code": "trochanteric_bursitis", "side": "both"},
    ],
}
ASSESSMENT = {
    "kind": "initial",
    "performed_at": "2026-11-20T09:30:00Z",
    "pain": {"rest": 1, "activity": 4, "running": 6},
    "thomas_test": {
        "left": {"hip_extension_deg": 5, "knee_flexion_deg": 85, "hip_abduction_deg": 5},
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
        {"joint": "hip", "motion": "extension", "side": "right", "mode": "passive", "degrees": 8},
        {"joint": "hip", "motion": "extension", "side": "left", "mode": "active", "degrees": 22.5},
        {
            "joint": "hip",
            "motion": "internal_rotation",
            "side": "right",
            "mode": "active",
            "degrees": 30,
        },
    ],
    "strength": [{"muscle_group": "hip_external_rotators", "side": "right", "grade": 4}],
    "functional": {"plank_seconds": 40, "side_plank_seconds": {"left": 35, "right": 20}},
}


def created(client, path: str, body: dict[str, Any], headers) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def finalize(client, assessment_id: str, headers) -> None:
    response = client.post(f"/api/v1/assessments/{assessment_id}/finalize", headers=headers)
    assert response.status_code == 200, response.json


@dataclass
class Record:
    patient_id: uuid.UUID
    episode_id: uuid.UUID
    diagnosis_ids: list[str]
    assessment_id: uuid.UUID
    draft_assessment_id: uuid.UUID
    goal_ids: dict[str, uuid.UUID]
    program_ids: dict[str, uuid.UUID]


def add_exercises(factory, clinic_id: uuid.UUID) -> list[uuid.UUID]:
    """A seeded exercise (with a slug) and one of the clinic's own, made once per clinic."""
    wanted = [
        dict(
            slug="clamshell",
            name="Clamshell",
            category="strengthening",
            target_muscles=["gluteus medius"],
            equipment=["band"],
            instructions="Lie on your side and open the knees like a shell.",
            default_sets=3,
            default_reps=12,
            per_side=True,
        ),
        dict(
            slug=None,
            name="Our own hip hinge drill",
            category="strengthening",
            instructions="Hinge at the hips with a dowel along the spine.",
            default_sets=2,
            default_hold_seconds=30,
        ),
    ]
    ids = []
    with factory.session() as session:
        for values in wanted:
            exercise = session.scalars(
                select(Exercise).where(
                    Exercise.clinic_id == clinic_id, Exercise.name == values["name"]
                )
            ).first()
            if exercise is None:
                exercise = Exercise(clinic_id=clinic_id, **values)
                session.add(exercise)
                session.flush()
            ids.append(exercise.id)
    return ids


def add_goal(session, clinic_id, episode_id, patient_id, **overrides) -> uuid.UUID:
    values: dict[str, Any] = {
        "term": "short",
        "description": "Extend the right hip further",
        "metric": "rom.hip.extension",
        "side": "right",
        "baseline_value": 8,
        "target_value": 20,
        "comparator": ">=",
        "unit": "deg",
        "start_date": date(2026, 11, 20),
        "due_date": date(2026, 12, 18),
        "rationale": "Running needs hip extension.",
        "lifecycle_status": "active",
        "achievement_status": "in-progress",
        **overrides,
    }
    goal = Goal(clinic_id=clinic_id, episode_id=episode_id, patient_id=patient_id, **values)
    session.add(goal)
    session.flush()
    return goal.id


def add_program(
    session, clinic_id, episode_id, patient_id, number: int, status: str, exercise_ids
) -> uuid.UUID:
    program = Program(
        clinic_id=clinic_id,
        episode_id=episode_id,
        patient_id=patient_id,
        number=number,
        status=status,
        start_date=date(2026, 11, 20),
        end_date=date(2027, 1, 15),
        notes="Before your runs." if number == 1 else None,
    )
    program.items = [
        ProgramItem(
            clinic_id=clinic_id,
            position=0,
            exercise_id=exercise_ids[0],
            sets=3,
            reps=12,
            per_side=True,
            times_per_day=1,
            days_per_week=7,
        ),
        ProgramItem(
            clinic_id=clinic_id,
            position=1,
            exercise_id=exercise_ids[1],
            sets=2,
            hold_seconds=30,
            per_side=False,
            times_per_day=2,
            days_per_week=1,
            notes="Slowly.",
        ),
    ]
    session.add(program)
    session.flush()
    return program.id


def make_record(client, factory, clinician, patient_id: uuid.UUID) -> Record:
    headers = clinician.headers
    episode = created(client, f"/api/v1/patients/{patient_id}/episodes", EPISODE, headers)
    path = f"/api/v1/episodes/{episode['id']}/assessments"
    assessment = created(client, path, ASSESSMENT, headers)
    finalize(client, assessment["id"], headers)
    draft = created(
        client, path, {"kind": "progress", "performed_at": "2026-11-25T09:00:00Z"}, headers
    )
    exercise_ids = add_exercises(factory, clinician.clinic_id)
    episode_id = uuid.UUID(episode["id"])
    args = (clinician.clinic_id, episode_id, patient_id)
    with factory.session() as session:
        goals = {
            "short": add_goal(session, *args),
            "long": add_goal(
                session,
                *args,
                term="long",
                description="No pain during running",
                metric="pain.nrs.running",
                side=None,
                baseline_value=6,
                target_value=0,
                comparator="==",
                unit="{score}",
                due_date=date(2027, 2, 12),
                achievement_status="improving",
                evaluated_at=datetime(2026, 11, 21, 8, tzinfo=UTC),
            ),
        }
        programs = {
            "superseded": add_program(session, *args, 1, "superseded", exercise_ids),
            "published": add_program(session, *args, 2, "published", exercise_ids),
            "draft": add_program(session, *args, 3, "draft", exercise_ids),
        }
    return Record(
        patient_id=patient_id,
        episode_id=episode_id,
        diagnosis_ids=[d["id"] for d in episode["diagnoses"]],
        assessment_id=uuid.UUID(assessment["id"]),
        draft_assessment_id=uuid.UUID(draft["id"]),
        goal_ids=goals,
        program_ids=programs,
    )


@pytest.fixture
def record(client, factory, world) -> Record:
    return make_record(client, factory, world.clinician, world.patient_id)


@pytest.fixture
def their_record(client, factory, world) -> Record:
    """The same record in another clinic."""
    clinician = factory.user(world.other_clinic_id, "clinician")
    return make_record(client, factory, clinician, world.other_patient_id)


def all_ids(record: Record) -> dict[str, list[str]]:
    """One id of each resource type in a record."""
    return {
        "Patient": [str(record.patient_id)],
        "EpisodeOfCare": [str(record.episode_id)],
        "Condition": record.diagnosis_ids,
        "Observation": [f"{record.assessment_id.hex}N.pain.nrs.rest"],
        "Goal": [str(g) for g in record.goal_ids.values()],
        "CarePlan": [str(p) for p in record.program_ids.values()],
    }


# --- metadata ----------------------------------------------------------------


def test_metadata_is_a_public_capability_statement_for_each_resource_type(client):
    response = fhir(client, "metadata")
    statement = valid(response.get_json())

    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["status"] == "active"
    assert statement["kind"] == "instance"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["json"]
    (rest,) = statement["rest"]
    assert rest["mode"] == "server"
    by_type = {r["type"]: r for r in rest["resource"]}
    assert set(by_type) == set(TYPES)
    for resource_type, resource in by_type.items():
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}
        names = {p["name"] for p in resource["searchParam"]}
        assert names == ({"_id", "identifier"} if resource_type == "Patient" else {"patient"})


# --- each resource type ------------------------------------------------------


def test_every_resource_type_searches_and_reads_as_valid_r4_with_codes_in_value_sets(
    client, reader, record
):
    for resource_type in TYPES:
        query = (
            {"_id": str(record.patient_id)}
            if resource_type == "Patient"
            else {"patient": f"Patient/{record.patient_id}"}
        )
        bundle = search(client, reader, resource_type, **query)
        found = resources(bundle)
        assert found and bundle["total"] == len(found), resource_type
        for resource in found:
            response = fhir(client, f"{resource_type}/{resource['id']}", reader)
            assert valid(response.get_json()) == resource
            version = resource.get("meta", {}).get("versionId")
            if version:
                assert response.headers["ETag"] == f'W/"{version}"'


def test_patient_keeps_identifiers_name_gender_birth_date_and_telecom(
    client, reader, factory, world
):
    patient_id = factory.patient(
        world.clinic_id,
        given_name="Ada",
        family_name="Runner",
        sex="other",
        birth_date=date(1985, 12, 10),
        email="ada@example.test",
        phone="+44 20 7946 0000",
        identifiers=[{"system": "urn:test:pms", "value": "PMS-1"}],
    )

    patient = valid(fhir(client, f"Patient/{patient_id}", reader).get_json())

    assert patient["identifier"] == [{"system": "urn:test:pms", "value": "PMS-1"}]
    assert patient["name"] == [{"use": "official", "family": "Runner", "given": ["Ada"]}]
    assert patient["gender"] == "other"
    assert patient["birthDate"] == "1985-12-10"
    assert patient["telecom"] == [
        {"system": "email", "value": "ada@example.test"},
        {"system": "phone", "value": "+44 20 7946 0000"},
    ]
    assert patient["meta"]["versionId"] == "1"


def test_patient_search_by_identifier_and_id(client, reader, factory, world):
    wanted = factory.patient(
        world.clinic_id, identifiers=[{"system": "urn:test:pms", "value": "PMS-7"}]
    )
    factory.patient(world.clinic_id, identifiers=[{"system": "urn:test:pms", "value": "PMS-8"}])
    factory.patient(world.clinic_id, identifiers=[{"system": "urn:other", "value": "PMS-7"}])

    def ids(**query) -> set[str]:
        return {r["id"] for r in resources(search(client, reader, "Patient", **query))}

    assert ids(identifier="urn:test:pms|PMS-7") == {str(wanted)}
    assert len(ids(identifier="PMS-7")) == 2  # a value in any system
    assert len(ids(identifier="urn:test:pms|")) == 2  # any value in the system
    assert ids(identifier="|PMS-7") == set()  # no system: none of ours
    assert ids(_id=str(wanted)) == {str(wanted)}
    assert ids(_id=f"{wanted},not-an-id") == {str(wanted)}
    assert ids(_id=str(wanted), identifier="urn:test:pms|PMS-8") == set()
    assert ids(_id=str(world.other_patient_id)) == set()
    assert str(world.other_patient_id) not in ids()  # every patient of ours, theirs never


def test_archived_patient_is_gone_and_not_found_by_search(client, reader, world):
    headers = {**world.clinician.headers, "If-Match": "*"}
    assert client.delete(f"/api/v1/patients/{world.patient_id}", headers=headers).status_code == 204

    response = client.get(f"{BASE}/Patient/{world.patient_id}", headers=reader)

    outcome(response, 410, "deleted")
    assert search(client, reader, "Patient", _id=str(world.patient_id))["total"] == 0


def test_episode_of_care_maps_status_patient_period_and_diagnoses(client, reader, record, world):
    episode = valid(fhir(client, f"EpisodeOfCare/{record.episode_id}", reader).get_json())

    assert episode["status"] == "planned"  # intake
    assert episode["patient"] == {"reference": f"Patient/{record.patient_id}"}
    assert "end" not in episode["period"]
    assert [d["condition"]["reference"] for d in episode["diagnosis"]] == [
        f"Condition/{i}" for i in record.diagnosis_ids
    ]
    assert [d["rank"] for d in episode["diagnosis"]] == [1, 2]
    for diagnosis in episode["diagnosis"]:
        fhir(client, diagnosis["condition"]["reference"], reader)

    moves = [("on_hold", "onhold"), ("intake", "planned"), ("cancelled", "cancelled")]
    for to, status in moves:
        response = client.post(
            f"/api/v1/episodes/{record.episode_id}/transitions",
            json={"to": to, "reason": "Travelling."},
            headers=world.clinician.headers,
        )
        assert response.status_code == 200, response.json
        episode = valid(fhir(client, f"EpisodeOfCare/{record.episode_id}", reader).get_json())
        assert episode["status"] == status
    assert "end" in episode["period"]


def test_episode_status_map_covers_every_state_with_a_fhir_code():
    from clinic.episodes.rules import STATES

    assert set(mapping.EPISODE_STATUS) == set(STATES)
    assert set(mapping.EPISODE_STATUS.values()) <= EPISODE_OF_CARE_STATUS
    assert mapping.EPISODE_STATUS["in_treatment"] == "active"
    assert mapping.EPISODE_STATUS["return_to_run"] == "active"
    assert mapping.EPISODE_STATUS["discharged"] == "finished"


def test_condition_has_local_code_laterality_and_provisional_status(client, reader, record, world):
    first, second = record.diagnosis_ids
    condition = valid(fhir(client, f"Condition/{first}", reader).get_json())

    assert condition["code"]["coding"] == [
        {
            "system": "urn:clinic:diagnosis",
            "code": "gluteal_tendinopathy",
            "display": "Gluteal tendinopathy",
        }
    ]
    assert codes(condition["clinicalStatus"], mapping.CONDITION_CLINICAL) == ["active"]
    assert codes(condition["verificationStatus"], mapping.CONDITION_VERIFICATION) == ["provisional"]
    assert check_laterality(condition["bodySite"][0]) == LATERALITY["right"]
    assert codes(condition["bodySite"][0], SNOMED) == ["24136001"]
    assert condition["subject"] == {"reference": f"Patient/{record.patient_id}"}
    assert condition["onsetDateTime"] == "2026-10-01"
    assert condition["note"] == [{"text": "Pain on single-leg stance."}]
    both = valid(fhir(client, f"Condition/{second}", reader).get_json())
    assert check_laterality(both["bodySite"][0]) == LATERALITY["both"]

    response = client.post(
        f"/api/v1/episodes/{record.episode_id}/transitions",
        json={"to": "cancelled", "reason": "Moved away."},
        headers=world.clinician.headers,
    )
    assert response.status_code == 200
    condition = valid(fhir(client, f"Condition/{first}", reader).get_json())
    assert codes(condition["clinicalStatus"], mapping.CONDITION_CLINICAL) == ["inactive"]


def observations_by_id(client, reader, record) -> dict[str, dict[str, Any]]:
    bundle = search(client, reader, "Observation", patient=str(record.patient_id))
    return {r["id"]: r for r in resources(bundle)}


def test_observations_are_the_values_of_finalised_assessments_with_standard_codes(
    client, reader, record
):
    found = observations_by_id(client, reader, record)
    prefix = record.assessment_id.hex

    rom = found[f"{prefix}R.rom.hip.extension"]
    assert codes(rom["code"], SNOMED) == ["299238003"]
    assert codes(rom["code"], "urn:clinic:metric") == ["rom.hip.extension"]
    assert rom["valueQuantity"] == {"value": 8, "unit": "deg", "system": UCUM, "code": "deg"}
    assert check_laterality(rom["bodySite"]) == LATERALITY["right"]
    assert rom["status"] == "final"
    assert rom["effectiveDateTime"] == "2026-11-20T09:30:00Z"
    assert rom["subject"] == {"reference": f"Patient/{record.patient_id}"}
    assert found[f"{prefix}L.rom.hip.extension"]["valueQuantity"]["value"] == 22.5
    assert check_laterality(found[f"{prefix}L.rom.hip.extension"]["bodySite"]) == "7771000"
    assert f"{prefix}R.rom.hip.internal-rotation" in found  # "_" written "-"

    pain = found[f"{prefix}N.pain.nrs.running"]
    assert codes(pain["code"], "http://loinc.org") == ["72514-3"]
    assert pain["valueQuantity"] == {
        "value": 6,
        "unit": "{score}",
        "system": UCUM,
        "code": "{score}",
    }
    assert "bodySite" not in pain

    plank = found[f"{prefix}N.plank.seconds"]
    assert plank["code"]["coding"] == [
        {"system": "urn:clinic:metric", "code": "plank.seconds", "display": "Plank hold"}
    ]
    assert plank["valueQuantity"]["code"] == "s"
    # 64 characters, the longest metric code there is.
    assert len(f"{prefix}R.strength.hip-external-rotators") == 64
    assert f"{prefix}R.strength.hip-external-rotators" in found
    # The draft assessment gives nothing.
    assert not [i for i in found if i.startswith(record.draft_assessment_id.hex)]


def test_thomas_and_trendelenburg_tests_are_observations_with_components(client, reader, record):
    found = observations_by_id(client, reader, record)
    prefix = record.assessment_id.hex

    thomas = found[f"{prefix}R.thomas-test"]
    assert codes(thomas["valueCodeableConcept"], SNOMED) == ["10828004"]  # positive
    assert check_laterality(thomas["bodySite"]) == LATERALITY["right"]
    components = {
        codes(c["code"], "urn:clinic:metric")[0]: c["valueQuantity"]["value"]
        for c in thomas["component"]
    }
    assert components == {
        "thomas.hip_extension": -10,
        "thomas.knee_flexion": 70,
        "thomas.hip_abduction": 20,
    }
    left = found[f"{prefix}L.thomas-test"]
    assert "valueCodeableConcept" not in left  # no result given, the angles only
    assert len(left["component"]) == 3

    trendelenburg = found[f"{prefix}R.trendelenburg-test"]
    assert codes(trendelenburg["valueCodeableConcept"], SNOMED) == ["10828004"]
    parts = {c["code"]["coding"][0]["code"]: c for c in trendelenburg["component"]}
    assert parts["trendelenburg-test.hold-time"]["valueQuantity"]["value"] == 12
    assert parts["trendelenburg-test.compensated"]["valueBoolean"] is True
    negative = found[f"{prefix}L.trendelenburg-test"]
    assert codes(negative["valueCodeableConcept"], SNOMED) == ["260385009"]


def test_observation_ids_parse_back_and_fit_fhir_for_every_metric():
    assessment_id = uuid.uuid4()
    keys = [
        mapping.ObservationKey(metric.code, side)
        for metric in mapping.ASSESSMENT_METRICS
        for side in (("left", "right") if metric.per_side else (None,))
    ]
    keys += [mapping.ObservationKey(panel, "left") for panel in mapping.PANELS]
    for key in keys:
        text = mapping.observation_id(assessment_id, key)
        assert FHIR_ID.match(text), text
        assert mapping.parse_observation_id(text) == (assessment_id, key)
    for bogus in (
        f"{assessment_id.hex}N.rom.hip.extension",  # per side, without a side
        f"{assessment_id.hex}L.pain.nrs.rest",  # not per side, with one
        f"{assessment_id.hex}N.thomas-test",
        f"{assessment_id.hex}N.run.continuous-minutes",  # not from assessments
        f"{assessment_id.hex}N.no.such.metric",
        f"{assessment_id}N.pain.nrs.rest",
        "x",
    ):
        assert mapping.parse_observation_id(bogus) is None, bogus


def test_unknown_observation_ids_and_superseded_assessments_are_404(client, reader, record, world):
    prefix = record.assessment_id.hex
    for missing in (
        f"{prefix}N.lefs.total",  # not measured
        f"{record.draft_assessment_id.hex}N.pain.nrs.rest",  # a draft
        f"{prefix}N.pain_nrs_rest",
        "not-an-id",
    ):
        outcome(client.get(f"{BASE}/Observation/{missing}", headers=reader), 404, "not-found")

    amendment = created(
        client,
        f"/api/v1/episodes/{record.episode_id}/assessments",
        {
            "kind": "initial",
            "performed_at": "2026-11-20T09:30:00Z",
            "pain": {"rest": 2},
            "amends": {"id": str(record.assessment_id), "reason": "Rest pain misread."},
        },
        world.clinician.headers,
    )
    finalize(client, amendment["id"], world.clinician.headers)

    response = client.get(f"{BASE}/Observation/{prefix}N.pain.nrs.rest", headers=reader)
    outcome(response, 404, "not-found")
    found = observations_by_id(client, reader, record)
    assert set(found) == {f"{uuid.UUID(amendment['id']).hex}N.pain.nrs.rest"}
    assert found[f"{uuid.UUID(amendment['id']).hex}N.pain.nrs.rest"]["valueQuantity"]["value"] == 2


def test_goal_maps_statuses_category_and_target(client, reader, record):
    short = valid(fhir(client, f"Goal/{record.goal_ids['short']}", reader).get_json())

    assert short["lifecycleStatus"] == "active"
    assert short["achievementStatus"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
            "code": "in-progress",
            "display": "In Progress",
        }
    ]
    assert short["description"] == {"text": "Extend the right hip further"}
    assert short["subject"] == {"reference": f"Patient/{record.patient_id}"}
    assert short["startDate"] == "2026-11-20"
    (target,) = short["target"]
    assert codes(target["measure"], "urn:clinic:metric") == ["rom.hip.extension"]
    assert codes(target["measure"], SNOMED) == ["299238003"]
    assert target["measure"]["text"].endswith(", right")
    assert target["detailQuantity"] == {
        "value": 20,
        "comparator": ">=",
        "unit": "deg",
        "system": UCUM,
        "code": "deg",
    }
    assert target["dueDate"] == "2026-12-18"

    long = valid(fhir(client, f"Goal/{record.goal_ids['long']}", reader).get_json())
    (target,) = long["target"]
    assert "comparator" not in target["detailQuantity"]  # "==": a plain value
    assert codes(target["measure"], "http://loinc.org") == ["72514-3"]
    assert codes(long["achievementStatus"], mapping.GOAL_ACHIEVEMENT) == ["improving"]
    assert long["statusDate"] == "2026-11-21"


def test_care_plan_maps_versions_to_statuses_and_items_to_activities(client, reader, record):
    def read(name: str) -> dict[str, Any]:
        return valid(fhir(client, f"CarePlan/{record.program_ids[name]}", reader).get_json())

    published = read("published")
    assert published["status"] == "active"
    assert published["intent"] == "plan"
    assert published["subject"] == {"reference": f"Patient/{record.patient_id}"}
    assert published["period"] == {"start": "2026-11-20", "end": "2027-01-15"}
    first, second = published["activity"]
    assert first["detail"] == {
        "code": {
            "coding": [
                {"system": "urn:clinic:exercise", "code": "clamshell", "display": "Clamshell"}
            ],
            "text": "Clamshell",
        },
        "status": "in-progress",
        "description": "3 x 12 reps, each side, 1x/day, 7 days/week",
    }
    assert second["detail"]["code"] == {"text": "Our own hip hinge drill"}
    assert second["detail"]["description"] == "2 x 30 s hold, 2x/day, 1 day/week. Slowly."

    superseded = read("superseded")
    assert superseded["status"] == "revoked"
    assert {a["detail"]["status"] for a in superseded["activity"]} == {"stopped"}
    assert superseded["description"] == "Before your runs."
    draft = read("draft")
    assert draft["status"] == "draft"
    assert {a["detail"]["status"] for a in draft["activity"]} == {"not-started"}


def test_care_plan_status_follows_the_episode_of_a_published_program():
    assert mapping.care_plan_status("published", "in_treatment") == "active"
    assert mapping.care_plan_status("published", "on_hold") == "on-hold"
    assert mapping.care_plan_status("published", "discharged") == "completed"
    assert mapping.care_plan_status("published", "cancelled") == "revoked"
    assert mapping.care_plan_status("superseded", "in_treatment") == "revoked"
    assert mapping.care_plan_status("draft", "discharged") == "draft"
    assert set(mapping.ACTIVITY_STATUS) <= CARE_PLAN_STATUS
    assert set(mapping.ACTIVITY_STATUS.values()) <= CARE_PLAN_ACTIVITY_STATUS


# --- searches ------------------------------------------------------------------


def test_searches_by_patient_return_only_that_patients_resources(
    client, reader, factory, world, record
):
    other_patient = factory.patient(world.clinic_id)
    other = make_record(client, factory, world.clinician, other_patient)
    mine, theirs = all_ids(record), all_ids(other)

    for resource_type in BY_PATIENT:
        for patient in (str(record.patient_id), f"Patient/{record.patient_id}"):
            bundle = search(client, reader, resource_type, patient=patient)
            found = resources(bundle)
            assert found, resource_type
            for resource in found:
                subject = resource.get("subject") or resource.get("patient")
                assert subject == {"reference": f"Patient/{record.patient_id}"}
                assert resource["id"] not in theirs[resource_type]
        assert set(mine[resource_type]) <= {r["id"] for r in found}


def test_search_for_another_clinics_or_an_unknown_patient_is_empty(
    client, reader, world, their_record
):
    for resource_type in BY_PATIENT:
        for patient in (str(world.other_patient_id), "Patient/not-a-uuid", str(uuid.uuid4())):
            bundle = search(client, reader, resource_type, patient=patient)
            assert bundle["total"] == 0 and "entry" not in bundle


def test_another_clinics_ids_are_404_operation_outcomes(client, reader, their_record):
    for resource_type, ids in all_ids(their_record).items():
        for resource_id in ids:
            response = client.get(f"{BASE}/{resource_type}/{resource_id}", headers=reader)
            outcome(response, 404, "not-found")
        outcome(
            client.get(f"{BASE}/{resource_type}/{uuid.uuid4()}", headers=reader), 404, "not-found"
        )


@pytest.mark.parametrize("resource_type", TYPES)
def test_paging_follows_next_links_with_count_2(client, reader, factory, world, resource_type):
    """More than two matches, two a page: every one exactly once, then no next link."""
    for _ in range(3):
        make_record(client, factory, world.clinician, world.patient_id)
    for _ in range(4):
        factory.patient(world.clinic_id)
    query = {} if resource_type == "Patient" else {"patient": str(world.patient_id)}

    bundle = search(client, reader, resource_type, _count=2, **query)
    total = bundle["total"]
    assert total > 2
    seen = [r["id"] for r in resources(bundle)]
    pages = 1
    while (url := next_link(bundle)) is not None:
        params = parse_qs(urlsplit(url).query)
        assert params["_count"] == ["2"] and "_cursor" in params
        assert params.get("patient") == ([str(world.patient_id)] if query else None)
        bundle = follow(client, reader, url)
        assert bundle["total"] == total
        seen += [r["id"] for r in resources(bundle)]
        pages += 1
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 2)
    everything = search(client, reader, resource_type, _count=200, **query)
    assert [r["id"] for r in resources(everything)] == seen
    assert next_link(everything) is None


def test_count_zero_answers_the_total_only_and_count_is_capped(client, reader, record):
    query = {"patient": str(record.patient_id)}
    bundle = search(client, reader, "Observation", _count=0, **query)
    assert bundle["total"] > 0 and "entry" not in bundle and next_link(bundle) is None

    bundle = search(client, reader, "Goal", _count=5000, **query)
    (self_link,) = [link["url"] for link in bundle["link"] if link["relation"] == "self"]
    params = parse_qs(urlsplit(self_link).query)
    assert params == {"patient": [str(record.patient_id)], "_count": ["200"]}


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        ("Goal", {"_count": "-1"}, "_count"),
        ("Goal", {"_count": "two"}, "_count"),
        ("Goal", {}, "patient"),
        ("Goal", {"patinet": "x"}, "patinet"),  # a misspelt parameter never widens a search
        ("Patient", {"identifer": "urn:test:pms|1"}, "identifer"),
        ("Condition", {"patient:missing": "true"}, "patient:missing"),  # no modifiers
        ("Condition", {"_cursor": "garbage"}, "_cursor"),
        ("Patient", {"_cursor": "garbage"}, "_cursor"),
        ("Observation", {"_cursor": "garbage"}, "_cursor"),
    ],
)
def test_invalid_search_parameters_are_400_operation_outcomes(
    client, reader, world, path, query, parameter
):
    if path != "Patient" and parameter != "patient":
        query = {**query, "patient": str(world.patient_id)}

    response = client.get(f"{BASE}/{path}", headers=reader, query_string=query)

    body = outcome(response, 400, "invalid")
    assert any(issue["diagnostics"].startswith(f"{parameter}:") for issue in body["issue"])


def test_a_cursor_of_another_search_is_refused(client, reader, world, record):
    goals = search(client, reader, "Goal", patient=str(world.patient_id), _count=1)
    cursor = parse_qs(urlsplit(next_link(goals)).query)["_cursor"][0]

    response = client.get(
        f"{BASE}/Observation",
        headers=reader,
        query_string={"patient": str(world.patient_id), "_cursor": cursor},
    )

    outcome(response, 400, "invalid")


@pytest.mark.parametrize(
    ("path", "order", "key"),
    [
        ("Goal", "fhir.goal.created", [1, 2]),
        ("Patient", "fhir.patient.name", [1, 2, 3]),
        ("Observation", "fhir.observation.performed", [datetime.now(UTC), uuid.uuid4(), True]),
        ("Observation", "fhir.observation.performed", [datetime.now(UTC), uuid.uuid4(), -1]),
        ("Observation", "fhir.observation.performed", ["2026-01-01", uuid.uuid4(), 0]),
    ],
)
def test_a_forged_cursor_is_a_400_not_a_database_error(client, reader, world, path, order, key):
    query = {"_cursor": encode_cursor(order, key)}
    if path != "Patient":
        query["patient"] = str(world.patient_id)

    response = client.get(f"{BASE}/{path}", headers=reader, query_string=query)

    outcome(response, 400, "invalid")


# --- authentication and authorization -----------------------------------------


def every_route(record: Record) -> Iterator[str]:
    for resource_type, ids in all_ids(record).items():
        yield f"{resource_type}/{ids[0]}"
        yield (
            f"{resource_type}?patient={record.patient_id}"
            if resource_type != "Patient"
            else "Patient"
        )


def test_the_fhir_read_scope_is_required(client, world, record):
    without = bearer(api_key(client, world.admin, ["patients:read", "clinical:read"]))
    with_it = bearer(api_key(client, world.admin, ["fhir:read"]))

    for route in every_route(record):
        outcome(client.get(f"{BASE}/{route}", headers=without), 403, "forbidden")
        assert client.get(f"{BASE}/{route}", headers=with_it).status_code == 200, route


def test_staff_may_read_and_patients_may_not(client, factory, world, record):
    patient_user = factory.user(world.clinic_id, "patient", patient_id=world.patient_id)

    for route in every_route(record):
        for staff in (world.admin, world.clinician):
            response = client.get(f"{BASE}/{route}", headers=staff.headers)
            assert response.status_code == 200 and response.mimetype == FHIR_JSON
        outcome(client.get(f"{BASE}/{route}", headers=patient_user.headers), 403, "forbidden")


def test_no_or_a_bad_credential_is_a_401_operation_outcome(client, record):
    for route in every_route(record):
        response = client.get(f"{BASE}/{route}")
        outcome(response, 401, "login")
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="clinic"'
        response = client.get(f"{BASE}/{route}", headers=bearer("hrk_nope_nope"))
        outcome(response, 401, "login")


def test_unknown_paths_and_other_methods_answer_operation_outcomes(client, reader, world):
    outcome(client.get(f"{BASE}/Practitioner/1", headers=reader), 404, "not-found")
    outcome(client.get(f"{BASE}/Patient/a/b", headers=reader), 404, "not-found")
    response = client.post(f"{BASE}/Patient", json={"resourceType": "Patient"}, headers=reader)
    outcome(response, 405, "not-supported")
    response = client.delete(f"{BASE}/Patient/{world.patient_id}", headers=reader)
    outcome(response, 405, "not-supported")


# --- audit and statements --------------------------------------------------------


def audit_events(app) -> list[AuditEvent]:
    with app.app_context(), all_clinics(db.session):
        return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.occurred_at)))


def test_reads_and_search_matches_are_audited(app, client, reader, record, world):
    observation_id = f"{record.assessment_id.hex}N.pain.nrs.rest"
    before = len(audit_events(app))

    fhir(client, f"Observation/{observation_id}", reader)
    bundle = search(client, reader, "Goal", patient=str(record.patient_id))
    client.get(f"{BASE}/Goal/{uuid.uuid4()}", headers=reader)

    events = audit_events(app)[before:]
    read, *listed, failed = events
    assert (read.action, read.resource_type, read.resource_id) == (
        "read",
        "fhir.Observation",
        observation_id,
    )
    assert read.patient_id == record.patient_id and read.outcome == "success"
    assert read.actor_type == "api_client" and read.path == f"{BASE}/Observation/{observation_id}"
    assert [(e.action, e.resource_type) for e in listed] == [("list", "fhir.Goal")] * 2
    assert {e.resource_id for e in listed} == {r["id"] for r in resources(bundle)}
    assert {e.patient_id for e in listed} == {record.patient_id}
    assert (failed.resource_type, failed.outcome, failed.status_code) == (
        "fhir.Goal",
        "failure",
        404,
    )


def test_metadata_is_not_audited(app, client):
    before = len(audit_events(app))
    fhir(client, "metadata")
    assert len(audit_events(app)) == before


def seed(factory, world, resource_type: str, n: int) -> None:
    """n more matches of one search, straight into the tables."""
    if resource_type == "Patient":
        for _ in range(n):
            identifier = {"system": "urn:bulk", "value": str(uuid.uuid4())}
            factory.patient(world.clinic_id, identifiers=[identifier])
        return
    clinic_id, patient_id = world.clinic_id, world.patient_id
    exercise_ids = add_exercises(factory, clinic_id) if resource_type == "CarePlan" else []
    with factory.session() as session:
        episodes = [
            Episode(clinic_id=clinic_id, patient_id=patient_id, title="Hip", side="left")
            for _ in range(n if resource_type == "EpisodeOfCare" else 1)
        ]
        episode = episodes[0]
        episode.diagnoses = [
            Diagnosis(clinic_id=clinic_id, position=i, code="labral_tear", side="left")
            for i in range(n if resource_type == "Condition" else 0)
        ]
        session.add_all(episodes)
        session.flush()
        start = datetime(2026, 11, 1, tzinfo=UTC)
        for i in range(n):
            if resource_type == "Observation":
                session.add(
                    Assessment(
                        clinic_id=clinic_id,
                        episode_id=episode.id,
                        patient_id=patient_id,
                        kind="progress",
                        performed_at=start + timedelta(days=i),
                        clinician_id=world.clinician.id,
                        status=FINAL,
                        body={"pain": {"rest": i % 11}},
                        finalized_at=start + timedelta(days=i),
                    )
                )
            elif resource_type == "Goal":
                add_goal(session, clinic_id, episode.id, patient_id)
            elif resource_type == "CarePlan":
                add_program(
                    session, clinic_id, episode.id, patient_id, i + 1, "published", exercise_ids
                )


@pytest.mark.parametrize("resource_type", TYPES)
def test_a_page_costs_the_same_statements_for_2_or_20_matches(
    client, reader, factory, world, count_statements, resource_type
):
    if resource_type == "Patient":
        query = {"identifier": "urn:bulk|"}
    else:
        query = {"patient": str(world.patient_id)}

    def statements(expected: int) -> list[str]:
        client.get(f"{BASE}/{resource_type}", headers=reader, query_string=query)  # key touched
        with count_statements() as counter:
            response = client.get(f"{BASE}/{resource_type}", headers=reader, query_string=query)
        assert len(valid(response.get_json())["entry"]) == expected
        return list(counter.statements)

    seed(factory, world, resource_type, 2)
    few = statements(2)
    seed(factory, world, resource_type, 18)
    many = statements(20)

    assert len(few) == len(many), (few, many)


# --- Observation pages ------------------------------------------------------------

FULL_EXAM = {k: v for k, v in ASSESSMENT.items() if k not in ("kind", "performed_at")}


def add_assessments(factory, world, bodies: list[dict[str, Any]], **overrides) -> list[uuid.UUID]:
    """Finalised assessments of the world's patient, a day apart in list order."""
    clinic_id, patient_id = world.clinic_id, world.patient_id
    with factory.session() as session:
        episode = Episode(clinic_id=clinic_id, patient_id=patient_id, title="Hip", side="right")
        session.add(episode)
        session.flush()
        start = datetime(2026, 11, 1, 9, tzinfo=UTC)
        rows = [
            Assessment(
                clinic_id=clinic_id,
                episode_id=episode.id,
                patient_id=patient_id,
                kind="progress",
                clinician_id=world.clinician.id,
                status=FINAL,
                body=body,
                **{
                    "performed_at": start + timedelta(days=i),
                    "finalized_at": start + timedelta(days=i, hours=1),
                    **overrides,
                },
            )
            for i, body in enumerate(bodies)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def walk_pages(client, reader, **query) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of an Observation search from the first: (pages, resources in order)."""
    pages = [search(client, reader, "Observation", **query)]
    while (url := next_link(pages[-1])) is not None:
        pages.append(follow(client, reader, url))
    return pages, [r for page in pages for r in resources(page)]


def empty_values(value: Any, path: str = "") -> list[str]:
    """Where a JSON value holds null, [] or {} (FHIR JSON has none)."""
    if value is None or value == [] or value == {}:
        return [path or "(the value)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_values(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empty_values(v, f"{path}[{i}]")]
    return []


def test_observation_pages_cut_across_assessments_in_order(client, reader, factory, world):
    ids = add_assessments(factory, world, [FULL_EXAM] * 3)
    per_assessment = len(mapping.observation_keys(FULL_EXAM))
    assert per_assessment > 7  # so pages of 7 start and end inside assessments

    everything = search(client, reader, "Observation", patient=str(world.patient_id), _count=200)
    in_order = [r["id"] for r in resources(everything)]
    assert everything["total"] == len(in_order) == 3 * per_assessment
    # Oldest assessment first, each one's Observations together and in key order.
    assert [i[:32] for i in in_order] == [a.hex for a in ids for _ in range(per_assessment)]
    keys = [mapping.observation_id(ids[0], k) for k in mapping.observation_keys(FULL_EXAM)]
    assert in_order[:per_assessment] == keys

    pages, found = walk_pages(client, reader, patient=str(world.patient_id), _count=7)
    assert [r["id"] for r in found] == in_order
    assert [len(resources(p)) for p in pages[:-1]] == [7] * (len(pages) - 1)
    assert len(pages) == -(-len(in_order) // 7)
    for page in pages:
        assert page["total"] == len(in_order)
        (self_link,) = [link["url"] for link in page["link"] if link["relation"] == "self"]
        params = parse_qs(urlsplit(self_link).query)
        assert params["patient"] == [str(world.patient_id)] and params["_count"] == ["7"]
    assert next_link(pages[-1]) is None


def test_observation_pages_skip_assessments_without_values(client, reader, factory, world):
    """An assessment with no measurement gives no Observation and never ends a page."""
    one = {"pain": {"rest": 3}}
    ids = add_assessments(factory, world, [one, {}, one, {"notes": "nothing measured"}])

    bundle = search(client, reader, "Observation", patient=str(world.patient_id), _count=1)
    assert bundle["total"] == 2
    (first,) = resources(bundle)
    assert first["id"] == f"{ids[0].hex}N.pain.nrs.rest"
    url = next_link(bundle)
    assert url is not None
    second = follow(client, reader, url)
    assert [r["id"] for r in resources(second)] == [f"{ids[2].hex}N.pain.nrs.rest"]
    assert next_link(second) is None  # only an empty assessment follows

    bundle = search(client, reader, "Observation", patient=str(world.patient_id), _count=2)
    assert len(resources(bundle)) == 2 and next_link(bundle) is None


def test_an_observation_cursor_outlives_its_assessment(client, reader, factory, world):
    """The next page starts at the next assessment if the cursor's was superseded since."""
    ids = add_assessments(factory, world, [FULL_EXAM] * 3)
    per_assessment = len(mapping.observation_keys(FULL_EXAM))
    bundle = search(
        client, reader, "Observation", patient=str(world.patient_id), _count=per_assessment + 2
    )
    url = next_link(bundle)
    assert url is not None
    with factory.session() as session:
        session.get(Assessment, ids[1]).superseded_by_id = ids[2]

    rest = follow(client, reader, url)

    assert rest["total"] == 2 * per_assessment
    assert {r["id"][:32] for r in resources(rest)} == {ids[2].hex}
    assert len(resources(rest)) == per_assessment


def test_a_search_builds_only_the_observations_on_its_page(
    client, reader, factory, world, monkeypatch
):
    add_assessments(factory, world, [FULL_EXAM] * 4)
    built: list[int] = []
    observations = mapping.observations

    def counting(row, keys, values):
        found = observations(row, keys, values)
        built.append(len(found))
        return found

    monkeypatch.setattr(mapping, "observations", counting)
    bundle = search(client, reader, "Observation", patient=str(world.patient_id), _count=5)
    assert len(resources(bundle)) == 5 and sum(built) == 5

    built.clear()
    url = next_link(bundle)
    assert url is not None
    follow(client, reader, url)
    assert sum(built) == 5


def test_no_resource_holds_empty_values(client, reader, factory, world, record):
    """Built without a compact pass, Observations hold no null, [] or {} at any depth."""
    sparse = {
        "thomas_test": {"left": {"result": "negative"}, "right": {"knee_flexion_deg": 80}},
        "trendelenburg": {"left": {"pelvic_drop": False}, "right": {"result": "positive"}},
        "pain": {"rest": 0},
    }
    (sparse_id,) = add_assessments(factory, world, [sparse])
    (unfinished_id,) = add_assessments(factory, world, [{"pain": {"rest": 1}}], finalized_at=None)

    patient = str(world.patient_id)
    for resource_type in TYPES:
        query = {"_id": patient} if resource_type == "Patient" else {"patient": patient}
        bundle = search(client, reader, resource_type, **query)
        assert empty_values(bundle) == [], resource_type
        for resource in resources(bundle):
            read = fhir(client, f"{resource_type}/{resource['id']}", reader).get_json()
            assert read == resource and empty_values(read) == []
    assert empty_values(search(client, reader, "Observation", patient=patient, _count=0)) == []

    found = {}
    for resource in resources(search(client, reader, "Observation", patient=patient)):
        parsed = mapping.parse_observation_id(resource["id"])
        assert parsed is not None
        assessment_id, key = parsed
        found[(assessment_id, key.code, key.side)] = resource
    assert "valueCodeableConcept" not in found[(sparse_id, "thomas-test", "right")]  # angles
    assert "component" not in found[(sparse_id, "thomas-test", "left")]  # a result only
    trendelenburg = found[(sparse_id, "trendelenburg-test", "left")]
    assert trendelenburg["component"][0]["valueBoolean"] is False
    assert "valueCodeableConcept" not in trendelenburg
    assert "component" not in found[(sparse_id, "trendelenburg-test", "right")]
    unfinished = found[(unfinished_id, "pain.nrs.rest", None)]
    assert "issued" not in unfinished and unfinished["meta"] == {"versionId": "1"}


@pytest.mark.parametrize("count", [5, 50])
def test_an_observation_page_costs_the_same_statements_for_1_or_12_assessments(
    client, reader, factory, world, count_statements, count
):
    query = {"patient": str(world.patient_id), "_count": count}

    def statements() -> list[str]:
        client.get(f"{BASE}/Observation", headers=reader, query_string=query)  # key touched
        with count_statements() as counter:
            response = client.get(f"{BASE}/Observation", headers=reader, query_string=query)
        assert response.status_code == 200
        return list(counter.statements)

    add_assessments(factory, world, [FULL_EXAM])
    few = statements()
    add_assessments(factory, world, [FULL_EXAM] * 11)
    many = statements()

    assert len(few) == len(many), (few, many)
    reads = [s for s in many if s.lstrip().upper().startswith("SELECT") and "assessments" in s]
    assert len(reads) == 1, reads  # one read gives the total and the page
