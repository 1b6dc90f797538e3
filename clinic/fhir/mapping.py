"""Our rows -> FHIR R4 resources (DOMAIN.md section 7). Pure functions: no Flask, no session.

The decisions, stated once:

Ids. Patient, EpisodeOfCare (an episode), Condition (a working diagnosis), Goal
and CarePlan (a home program version) keep the row's UUID. An Observation is
one value of one finalised, current (not superseded) assessment; its id is
deterministic and parsed back on reads::

    <assessment id, 32 lower-case hex digits><side letter>.<code>

with the side letter ``L``, ``R`` or ``N`` (not per side) and the code the
metric code with ``_`` written ``-`` (FHIR ids allow ``[A-Za-z0-9\\-.]`` only,
1 to 64 characters; no metric code contains ``-``, so the mapping reverses),
or a test panel code (``thomas-test``, ``trendelenburg-test``). The longest,
``strength.hip-external-rotators``, makes 64 characters exactly; a test checks
every catalogue code fits. Condition ids follow the diagnosis rows, which an
episode edit that rewrites its diagnoses replaces.

Statuses. EpisodeOfCare: intake and assessed -> ``planned`` (FHIR: assessments
and organising before care starts), in_treatment and return_to_run ->
``active``, on_hold -> ``onhold``, discharged -> ``finished``, cancelled ->
``cancelled``. Condition: clinicalStatus ``active`` while the episode is open
or on hold, ``inactive`` once it is discharged or cancelled (we do not know it
resolved); verificationStatus ``provisional`` (working diagnoses); category
``encounter-diagnosis``. Goal: our lifecycle and achievement codes are FHIR's.
CarePlan: a draft program -> ``draft``; the published one -> ``active``, or
``on-hold`` / ``completed`` / ``revoked`` while its episode is on hold /
discharged / cancelled; a superseded version -> ``revoked`` (stopped before its
end, replaced by the next version); intent ``plan``; each activity's status
follows the plan's (draft -> not-started, active -> in-progress, on-hold ->
on-hold, completed -> completed, revoked -> stopped).

Codings. Laterality is the mCODE laterality qualifier extension on the
bodySite concept, SNOMED CT 7771000 left, 24028007 right, 51440002 right and
left; the site itself SNOMED CT 24136001 hip joint. Observation category
``exam``; hip range of motion SNOMED CT 299238003 plus the local metric code,
pain NRS LOINC 72514-3 plus the local metric code, every other metric the local
code only (``urn:clinic:metric``, the codes of ``GET /api/v1/metrics``).
Quantities are UCUM (the catalogue's units: deg, s, min, %, {score}, ...).
Thomas and Trendelenburg tests are also one Observation per test and side:
the result (SNOMED CT positive 10828004 / negative 260385009) as the value,
the measurements as components (a component has no bodySite, so the side is
the Observation's). Goal category: goal-category ``physiotherapy``, plus the
term (short/long) in ``urn:clinic:goal-term``; a goal's ``==`` comparator has no
FHIR Quantity comparator and is left out, the others carry over.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from clinic.assessments.metrics import (
    METRICS,
    METRICS_BY_CODE,
    SIDES,
    as_mapping,
    as_number,
    extract_metric_values,
)
from clinic.episodes.diagnoses import DIAGNOSES
from clinic.episodes.diagnoses import LOCAL_CODE_SYSTEM as DIAGNOSIS_SYSTEM

if TYPE_CHECKING:
    from clinic.assessments.models import Assessment
    from clinic.episodes.models import Diagnosis, Episode
    from clinic.exercises.models import Exercise
    from clinic.goals.models import Goal
    from clinic.patients.models import Patient
    from clinic.programs.models import Program, ProgramItem

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"

RESOURCE_TYPES = ("Patient", "EpisodeOfCare", "Condition", "Observation", "Goal", "CarePlan")

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
GOAL_CATEGORY = "http://terminology.hl7.org/CodeSystem/goal-category"
LATERALITY_EXTENSION = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"

# Local code systems (like the diagnoses' ``urn:clinic:diagnosis``).
METRIC_SYSTEM = "urn:clinic:metric"
EXAM_TEST_SYSTEM = "urn:clinic:exam-test"
GOAL_TERM_SYSTEM = "urn:clinic:goal-term"
EXERCISE_SYSTEM = "urn:clinic:exercise"

# SNOMED CT and LOINC codes used, each verified (DOMAIN.md: none unverified).
LATERALITY: dict[str, tuple[str, str]] = {
    "left": ("7771000", "Left"),
    "right": ("24028007", "Right"),
    "both": ("51440002", "Right and left"),
}
HIP_JOINT = ("24136001", "Hip joint")
HIP_ROM = "299238003"
PAIN_NRS = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
TEST_RESULTS: dict[str, tuple[str, str]] = {
    "positive": ("10828004", "Positive"),
    "negative": ("260385009", "Negative"),
}

EPISODE_STATUS: dict[str, str] = {
    "intake": "planned",
    "assessed": "planned",
    "in_treatment": "active",
    "return_to_run": "active",
    "on_hold": "onhold",
    "discharged": "finished",
    "cancelled": "cancelled",
}
CLOSED_EPISODE_STATES = frozenset({"discharged", "cancelled"})

GOAL_ACHIEVEMENT_DISPLAY: dict[str, str] = {
    "in-progress": "In Progress",
    "improving": "Improving",
    "worsening": "Worsening",
    "no-change": "No Change",
    "achieved": "Achieved",
    "sustaining": "Sustaining",
    "not-achieved": "Not Achieved",
    "no-progress": "No Progress",
    "not-attainable": "Not Attainable",
}
# FHIR Quantity.comparator is one of < <= >= >; "==" is a plain value.
QUANTITY_COMPARATORS = frozenset({"<", "<=", ">=", ">"})
GOAL_TERMS: dict[str, str] = {"short": "Short-term goal", "long": "Long-term goal"}

# The published program's CarePlan status while its episode is in these states.
CARE_PLAN_STATUS_BY_EPISODE: dict[str, str] = {
    "on_hold": "on-hold",
    "discharged": "completed",
    "cancelled": "revoked",
}
ACTIVITY_STATUS: dict[str, str] = {
    "draft": "not-started",
    "active": "in-progress",
    "on-hold": "on-hold",
    "completed": "completed",
    "revoked": "stopped",
}

# HTTP status -> OperationOutcome issue type (http://hl7.org/fhir/issue-type).
ISSUE_TYPES: dict[int, str] = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    500: "exception",
    503: "transient",
}


# --- building blocks ---------------------------------------------------------


_SCALARS = (str, int, float)  # bool is an int


def compact(value: Any) -> Any:
    """Drop None, empty lists and empty objects at every depth (FHIR JSON has none).

    One pass per resource, in its mapper: a Bundle does not compact what it holds
    again. Observations (the bulk of any search) are built without empty values
    and skip it.
    """
    if value is None or isinstance(value, _SCALARS):
        return value  # the leaves, without the costlier Mapping check
    if isinstance(value, Mapping):
        items = ((k, compact(v)) for k, v in value.items())
        return {k: v for k, v in items if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        items_ = [compact(v) for v in value]
        return [v for v in items_ if v is not None and v != [] and v != {}]
    return value


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def number(value: float) -> int | float:
    """30.0 as 30: FHIR decimals keep what is written, so write it plainly."""
    return int(value) if float(value).is_integer() else value


def reference(resource_type: str, resource_id: uuid.UUID | str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [coding(system, code, display)]}


def quantity(value: float, unit: str, comparator: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"value": number(value)}
    if comparator in QUANTITY_COMPARATORS:
        result["comparator"] = comparator
    result.update({"unit": unit, "system": UCUM, "code": unit})
    return result


def meta(version: int | None, last_updated: datetime | None) -> dict[str, str]:
    result = {}
    if version is not None:
        result["versionId"] = str(version)
    if last_updated is not None:
        result["lastUpdated"] = instant(last_updated)
    return result


def hip_site(side: str) -> dict[str, Any]:
    """The hip, with its side as the laterality qualifier extension."""
    code, display = LATERALITY[side]
    words = "Both hips" if side == "both" else f"{display} hip"
    return {
        "extension": [
            {"url": LATERALITY_EXTENSION, "valueCodeableConcept": concept(SNOMED, code, display)}
        ],
        "coding": [coding(SNOMED, *HIP_JOINT)],
        "text": words,
    }


def _metric_codings(code: str) -> tuple[str, tuple[dict[str, str], ...]]:
    """A metric code's label and codings, the standard code first where there is one."""
    metric = METRICS_BY_CODE.get(code)
    label = metric.label if metric else code
    codings = []
    if code.startswith("rom.hip."):
        codings.append(coding(SNOMED, HIP_ROM))
    elif code.startswith("pain.nrs."):
        codings.append(coding(LOINC, *PAIN_NRS))
    codings.append(coding(METRIC_SYSTEM, code, label))
    return label, tuple(codings)


# Worked out once for the catalogue; each resource still gets dicts of its own (copies).
_METRIC_CODINGS = {metric.code: _metric_codings(metric.code) for metric in METRICS}


def metric_concept(code: str, side: str | None = None) -> dict[str, Any]:
    """A catalogue metric as a code, with the standard code first where there is one."""
    label, codings = _METRIC_CODINGS.get(code) or _metric_codings(code)
    return {"coding": [dict(c) for c in codings], "text": f"{label}, {side}" if side else label}


# --- Patient -----------------------------------------------------------------


def patient(row: Patient) -> dict[str, Any]:
    telecom = []
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
    return compact(
        {
            "resourceType": "Patient",
            "id": str(row.id),
            "meta": meta(row.version, row.updated_at),
            "identifier": [{"system": i.system, "value": i.value} for i in row.sorted_identifiers],
            "active": True,
            "name": [{"use": "official", "family": row.family_name, "given": [row.given_name]}],
            "telecom": telecom,
            # Our sexes are the administrative-gender codes: female, male, other, unknown.
            "gender": row.sex,
            "birthDate": day(row.birth_date),
        }
    )


# --- EpisodeOfCare and Condition ---------------------------------------------


def episode_of_care(row: Episode) -> dict[str, Any]:
    return compact(
        {
            "resourceType": "EpisodeOfCare",
            "id": str(row.id),
            "meta": meta(row.version, row.updated_at),
            "status": EPISODE_STATUS[row.status],
            "type": [{"text": "Physiotherapy"}],
            "diagnosis": [
                {"condition": reference("Condition", d.id), "rank": rank}
                for rank, d in enumerate(row.diagnoses, start=1)
            ],
            "patient": reference("Patient", row.patient_id),
            "period": {
                "start": instant(row.created_at),
                "end": instant(row.closed_at) if row.closed_at else None,
            },
        }
    )


def condition(
    row: Diagnosis, *, patient_id: uuid.UUID, episode_status: str, onset_date: date | None
) -> dict[str, Any]:
    """A working diagnosis; the episode it belongs to gives its subject, status and onset."""
    display = DIAGNOSES.get(row.code, row.code)
    clinical = "inactive" if episode_status in CLOSED_EPISODE_STATES else "active"
    return compact(
        {
            "resourceType": "Condition",
            "id": str(row.id),
            "meta": meta(None, row.recorded_at),
            "clinicalStatus": concept(CONDITION_CLINICAL, clinical, clinical.title()),
            "verificationStatus": concept(CONDITION_VERIFICATION, "provisional", "Provisional"),
            "category": [concept(CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
            "code": {"coding": [coding(DIAGNOSIS_SYSTEM, row.code, display)], "text": display},
            "bodySite": [hip_site(row.side)],
            "subject": reference("Patient", patient_id),
            "onsetDateTime": day(onset_date),
            "recordedDate": instant(row.recorded_at),
            "note": [{"text": row.note}] if row.note else None,
        }
    )


# --- Observation -------------------------------------------------------------

THOMAS_TEST = "thomas-test"
TRENDELENBURG_TEST = "trendelenburg-test"
PANELS: dict[str, str] = {
    THOMAS_TEST: "Modified Thomas test",
    TRENDELENBURG_TEST: "Trendelenburg test",
}
# Thomas test part in the assessment body -> its metric code.
THOMAS_PARTS = (
    ("hip_extension_deg", "thomas.hip_extension"),
    ("knee_flexion_deg", "thomas.knee_flexion"),
    ("hip_abduction_deg", "thomas.hip_abduction"),
)
SIDE_LETTERS: dict[str | None, str] = {"left": "L", "right": "R", None: "N"}
LETTER_SIDES = {letter: side for side, letter in SIDE_LETTERS.items()}
ASSESSMENT_METRICS = tuple(m for m in METRICS if m.source == "assessment")
_OBSERVATION_ID = re.compile(r"^([0-9a-f]{32})([LRN])\.([a-z0-9][a-z0-9.\-]*)$")


@dataclass(frozen=True)
class ObservationKey:
    """What one Observation of an assessment is: a metric or a test panel, and a side."""

    code: str
    side: str | None

    @property
    def is_panel(self) -> bool:
        return self.code in PANELS


def observation_id(assessment_id: uuid.UUID, key: ObservationKey) -> str:
    return f"{assessment_id.hex}{SIDE_LETTERS[key.side]}.{key.code.replace('_', '-')}"


def parse_observation_id(text: str) -> tuple[uuid.UUID, ObservationKey] | None:
    """The assessment id and key an Observation id names, or None for ids we never issue."""
    match = _OBSERVATION_ID.match(text)
    if match is None:
        return None
    assessment_hex, letter, code = match.groups()
    side = LETTER_SIDES[letter]
    if code in PANELS:
        return (uuid.UUID(assessment_hex), ObservationKey(code, side)) if side else None
    metric = METRICS_BY_CODE.get(code.replace("-", "_"))
    if metric is None or metric.source != "assessment" or metric.per_side != (side is not None):
        return None
    return uuid.UUID(assessment_hex), ObservationKey(metric.code, side)


def _thomas_side(body: Mapping[str, Any], side: str) -> Mapping[str, Any]:
    return as_mapping(as_mapping(body.get("thomas_test")).get(side))


def _trendelenburg_side(body: Mapping[str, Any], side: str) -> Mapping[str, Any]:
    return as_mapping(as_mapping(body.get("trendelenburg")).get(side))


def _has_thomas(part: Mapping[str, Any]) -> bool:
    return part.get("result") in TEST_RESULTS or any(
        as_number(part.get(field)) is not None for field, _ in THOMAS_PARTS
    )


def _has_trendelenburg(part: Mapping[str, Any]) -> bool:
    return (
        part.get("result") in TEST_RESULTS
        or as_number(part.get("hold_seconds")) is not None
        or isinstance(part.get("pelvic_drop"), bool)
        or isinstance(part.get("compensated"), bool)
    )


# Every key an assessment can have, made once: (metric code, side) -> its key, in
# catalogue order (left before right), and the test panels' keys per side.
_METRIC_KEYS: tuple[tuple[tuple[str, str | None], ObservationKey], ...] = tuple(
    ((metric.code, side), ObservationKey(metric.code, side))
    for metric in ASSESSMENT_METRICS
    for side in (SIDES if metric.per_side else (None,))
)
_THOMAS_KEYS = tuple((side, ObservationKey(THOMAS_TEST, side)) for side in SIDES)
_TRENDELENBURG_KEYS = tuple((side, ObservationKey(TRENDELENBURG_TEST, side)) for side in SIDES)


def observation_keys(
    body: Mapping[str, Any], values: Mapping[tuple[str, str | None], float] | None = None
) -> list[ObservationKey]:
    """The Observations of one assessment body, in their fixed order.

    Metrics in catalogue order (left before right), then the Thomas and the
    Trendelenburg test panels per side. Paging relies on this order.
    """
    if values is None:
        values = extract_metric_values(body)
    keys = [key for metric_key, key in _METRIC_KEYS if metric_key in values]
    keys += [key for side, key in _THOMAS_KEYS if _has_thomas(_thomas_side(body, side))]
    keys += [
        key
        for side, key in _TRENDELENBURG_KEYS
        if _has_trendelenburg(_trendelenburg_side(body, side))
    ]
    return keys


def _result_concept(result: Any) -> dict[str, Any] | None:
    if result not in TEST_RESULTS:
        return None
    code, display = TEST_RESULTS[result]
    return {"coding": [coding(SNOMED, code, display)], "text": display}


TRENDELENBURG_HOLD = ("trendelenburg-test.hold-time", "Single-leg stance hold")
# Trendelenburg yes/no findings: the field in the body, its code and display.
TRENDELENBURG_FLAGS = (
    ("pelvic_drop", "trendelenburg-test.pelvic-drop", "Pelvic drop"),
    ("compensated", "trendelenburg-test.compensated", "Trunk lean over the stance side"),
)


def _panel_components(part: Mapping[str, Any], code: str) -> list[dict[str, Any]]:
    """A test panel's measurements on one side (``part``: that side of the test)."""
    if code == THOMAS_TEST:
        return [
            {"code": metric_concept(metric_code), "valueQuantity": quantity(value, "deg")}
            for field, metric_code in THOMAS_PARTS
            if (value := as_number(part.get(field))) is not None
        ]
    components: list[dict[str, Any]] = []
    hold = as_number(part.get("hold_seconds"))
    if hold is not None:
        components.append(
            {
                "code": concept(EXAM_TEST_SYSTEM, *TRENDELENBURG_HOLD),
                "valueQuantity": quantity(hold, "s"),
            }
        )
    for field, flag_code, display in TRENDELENBURG_FLAGS:
        if isinstance(part.get(field), bool):
            components.append(
                {"code": concept(EXAM_TEST_SYSTEM, flag_code, display), "valueBoolean": part[field]}
            )
    return components


def observation(
    row: Assessment, key: ObservationKey, values: Mapping[tuple[str, str | None], float]
) -> dict[str, Any]:
    """One Observation of a finalised assessment (``values``: its extracted metrics)."""
    (resource,) = observations(row, [key], values)
    return resource


def observations(
    row: Assessment,
    keys: Iterable[ObservationKey],
    values: Mapping[tuple[str, str | None], float],
) -> list[dict[str, Any]]:
    """Observations of one finalised assessment: those of ``keys`` (from ``observation_keys``).

    What every Observation of the assessment shares (meta, subject, times) is
    worked out once. Each is built without empty values, so none needs a
    ``compact`` pass: an optional element is added only when it has content, in
    the order FHIR lists the elements.
    """
    row_meta = meta(row.version, row.finalized_at)
    subject = reference("Patient", row.patient_id)
    effective = instant(row.performed_at)
    issued = instant(row.finalized_at) if row.finalized_at else None
    found = []
    for key in keys:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": observation_id(row.id, key),
        }
        if row_meta:
            resource["meta"] = dict(row_meta)
        resource["status"] = "final"
        resource["category"] = [concept(OBSERVATION_CATEGORY, "exam", "Exam")]
        components: list[dict[str, Any]] = []
        if key.is_panel:
            assert key.side is not None
            side_of = _thomas_side if key.code == THOMAS_TEST else _trendelenburg_side
            part = side_of(row.body, key.side)
            panel = PANELS[key.code]
            resource["code"] = {
                "coding": [coding(EXAM_TEST_SYSTEM, key.code, panel)],
                "text": panel,
            }
            value_name, value = "valueCodeableConcept", _result_concept(part.get("result"))
            components = _panel_components(part, key.code)
        else:
            unit = METRICS_BY_CODE[key.code].unit
            resource["code"] = metric_concept(key.code)
            value_name, value = "valueQuantity", quantity(values[(key.code, key.side)], unit)
        resource["subject"] = dict(subject)
        resource["effectiveDateTime"] = effective
        if issued:
            resource["issued"] = issued
        if value is not None:
            resource[value_name] = value
        if key.side:
            resource["bodySite"] = hip_site(key.side)
        if components:
            resource["component"] = components
        found.append(resource)
    return found


# --- Goal --------------------------------------------------------------------


def goal(row: Goal) -> dict[str, Any]:
    metric = METRICS_BY_CODE.get(row.metric)
    unit = metric.unit if metric else row.unit
    return compact(
        {
            "resourceType": "Goal",
            "id": str(row.id),
            "meta": meta(row.version, row.updated_at),
            "lifecycleStatus": row.lifecycle_status,
            "achievementStatus": concept(
                GOAL_ACHIEVEMENT,
                row.achievement_status,
                GOAL_ACHIEVEMENT_DISPLAY.get(row.achievement_status),
            ),
            "category": [
                concept(GOAL_CATEGORY, "physiotherapy", "Physiotherapy"),
                concept(GOAL_TERM_SYSTEM, row.term, GOAL_TERMS.get(row.term)),
            ],
            "description": {"text": row.description},
            "subject": reference("Patient", row.patient_id),
            "startDate": day(row.start_date),
            "target": [
                {
                    "measure": metric_concept(row.metric, row.side),
                    "detailQuantity": quantity(row.target_value, unit, row.comparator),
                    "dueDate": day(row.due_date),
                }
            ],
            "statusDate": day(row.evaluated_at.date()) if row.evaluated_at else None,
            "note": [{"text": row.rationale}] if row.rationale else None,
        }
    )


# --- CarePlan ----------------------------------------------------------------


def care_plan_status(program_status: str, episode_status: str) -> str:
    if program_status == "draft":
        return "draft"
    if program_status == "superseded":
        return "revoked"
    return CARE_PLAN_STATUS_BY_EPISODE.get(episode_status, "active")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def dosage_text(item: ProgramItem) -> str:
    """The prescription in words, e.g. "3 x 12 reps, each side, 1x/day, 7 days/week"."""
    if item.reps:
        parts = [f"{item.sets} x {item.reps} reps"]
        if item.hold_seconds:
            parts.append(f"{item.hold_seconds} s hold")
    elif item.hold_seconds:
        parts = [f"{item.sets} x {item.hold_seconds} s hold"]
    else:
        parts = [_plural(item.sets, "set", "sets")]
    if item.per_side:
        parts.append("each side")
    parts.append(f"{item.times_per_day}x/day")
    parts.append(_plural(item.days_per_week, "day/week", "days/week"))
    text = ", ".join(parts)
    return f"{text}. {item.notes}" if item.notes else text


def _exercise_concept(exercise: Exercise | None) -> dict[str, Any]:
    if exercise is None:
        return {"text": "Exercise"}
    codings = [coding(EXERCISE_SYSTEM, exercise.slug, exercise.name)] if exercise.slug else []
    return {"coding": codings, "text": exercise.name}


def care_plan(
    row: Program, episode_status: str, exercises: Mapping[uuid.UUID, Exercise]
) -> dict[str, Any]:
    status = care_plan_status(row.status, episode_status)
    return compact(
        {
            "resourceType": "CarePlan",
            "id": str(row.id),
            "meta": meta(row.version, row.updated_at),
            "status": status,
            "intent": "plan",
            "category": [{"text": "Home exercise program"}],
            "title": f"Home exercise program, version {row.number}",
            "description": row.notes,
            "subject": reference("Patient", row.patient_id),
            "period": {"start": day(row.start_date), "end": day(row.end_date)},
            "created": instant(row.created_at),
            "activity": [
                {
                    "detail": {
                        "code": _exercise_concept(exercises.get(item.exercise_id)),
                        "status": ACTIVITY_STATUS[status],
                        "description": dosage_text(item),
                    }
                }
                for item in row.items
            ],
        }
    )


def exercise_ids(programs: Iterable[Program]) -> set[uuid.UUID]:
    return {item.exercise_id for program in programs for item in program.items}


# --- Bundle, OperationOutcome, CapabilityStatement ---------------------------


def searchset(
    resources: Sequence[Mapping[str, Any]],
    *,
    total: int,
    base_url: str,
    self_url: str,
    next_url: str | None,
) -> dict[str, Any]:
    """A searchset Bundle of resources their mappers built (compacted already: not again)."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    }
    if resources:
        bundle["entry"] = [
            {
                "fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ]
    return bundle


def operation_outcome(
    status: int, detail: str, errors: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """An error as FHIR expects it: one issue, or one per invalid parameter."""
    severity = "fatal" if status >= 500 else "error"
    if errors:
        issues = [
            {
                "severity": severity,
                "code": "invalid",
                "details": {"text": detail},
                "diagnostics": f"{name}: {' '.join(str(m) for m in messages)}",
            }
            for name, messages in sorted(errors.items())
        ]
    else:
        issues = [
            {
                "severity": severity,
                "code": ISSUE_TYPES.get(status, "processing"),
                "diagnostics": detail,
            }
        ]
    return {"resourceType": "OperationOutcome", "issue": issues}


# name, type, documentation of the search parameters each resource type supports.
SEARCH_PARAMETERS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Patient": (
        ("_id", "token", "The patient's id."),
        ("identifier", "token", "An external identifier: system|value, or a value in any system."),
    ),
    **{
        resource_type: (("patient", "reference", "The patient: Patient/{id} or {id}. Required."),)
        for resource_type in RESOURCE_TYPES[1:]
    },
}

# The date this statement last changed (CapabilityStatement.date).
CAPABILITY_DATE = "2026-11-26"


def capability_statement(base_url: str, software_version: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "Hip rehab clinic",
        "kind": "instance",
        "software": {"name": "Hip rehab clinic API", "version": software_version},
        "implementation": {
            "description": "Read-only FHIR R4 view of the clinic's records (runners with hip pain)",
            "url": base_url,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read and search only. Searches page with _count (default 50, max 200) "
                    "and the opaque _cursor of the next link; an unknown parameter or "
                    "modifier is refused (400)."
                ),
                "security": {
                    "cors": True,
                    "description": (
                        "Authorization: Bearer with a staff token (admin or clinician) or an "
                        "API key holding the fhir:read scope; each caller sees its clinic only."
                    ),
                },
                "resource": [
                    {
                        "type": resource_type,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": type_, "documentation": documentation}
                            for name, type_, documentation in SEARCH_PARAMETERS[resource_type]
                        ],
                    }
                    for resource_type in RESOURCE_TYPES
                ],
            }
        ],
    }
