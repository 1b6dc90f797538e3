"""FHIR reads and searches: a read-only projection of the clinical record.

This module runs its own read-only queries over the tables of patients,
episodes (and diagnoses), assessments, goals, programs and exercises, instead
of going through those capabilities' services: it only ever reads, it needs
other shapes (joins for the subject and statuses, keyset pages across an
expansion of assessments into Observations), and the goals and programs
services change while this view must not. It never writes a clinical row.

Tenancy is the session's (``clinic.core.tenancy``): another clinic's ids are
simply not found. Every resource returned is audited, ``read`` for a read and
``list`` for each search match, as ``fhir.<ResourceType>`` with the FHIR id.

Statements per request are constant: a count and a page query per search,
plus one query per relationship (identifiers, diagnoses, program items,
exercises), however many rows the page holds. An Observation search is one
query: its total needs the body of every current assessment of the patient
anyway (what Observations an assessment holds is in its body), so that one read,
in page order, also gives the page; only the page's Observations are built.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select, tuple_

from clinic.assessments.metrics import extract_metric_values
from clinic.assessments.models import FINAL, Assessment
from clinic.core import audit
from clinic.core.errors import Problem
from clinic.core.pagination import decode_cursor, encode_cursor
from clinic.episodes.models import Diagnosis, Episode
from clinic.exercises.models import Exercise
from clinic.extensions import db
from clinic.fhir import mapping
from clinic.goals.models import Goal
from clinic.patients.models import Patient, PatientIdentifier
from clinic.programs.models import Program

Resource = dict[str, Any]


@dataclass
class SearchResult:
    resources: list[Resource]
    total: int
    next_cursor: str | None


EMPTY = SearchResult([], 0, None)


# --- errors and parameters ---------------------------------------------------


def not_found(resource_type: str) -> Problem:
    return Problem(404, f"No such {resource_type}.", title="Not Found", type_="/problems/not-found")


def bad_parameter(name: str, message: str) -> Problem:
    return Problem(
        400,
        f"The search parameter {name} is invalid.",
        type_="/problems/validation-error",
        errors={name: [message]},
    )


def as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def patient_reference(value: str) -> uuid.UUID | None:
    """The patient a ``patient`` parameter names: ``Patient/{id}``, a full URL or ``{id}``."""
    text = value.strip()
    if "/" in text:
        head, _, text = text.rpartition("/")
        if head.rpartition("/")[2] != "Patient":
            return None
    return as_uuid(text)


# --- audit -------------------------------------------------------------------


def _audit(action: str, resource: Resource, patient_id: uuid.UUID) -> None:
    audit.record(action, f"fhir.{resource['resourceType']}", resource["id"], patient_id)


def _audit_matches(resources: Sequence[Resource], patient_ids: Sequence[uuid.UUID]) -> None:
    for resource, patient_id in zip(resources, patient_ids, strict=True):
        _audit("list", resource, patient_id)


# --- keyset pages ------------------------------------------------------------


def _after(cursor: str, order: str, types: Sequence[type]) -> list[Any]:
    """The key a cursor carries, each value of the type its column holds (cursors are forgeable)."""
    try:
        values = decode_cursor(cursor, order, len(types))
    except Problem as problem:
        raise bad_parameter("_cursor", "Not a cursor this search issued.") from problem
    if not all(
        isinstance(v, t) and not isinstance(v, bool) for v, t in zip(values, types, strict=True)
    ):
        raise bad_parameter("_cursor", "Not a cursor this search issued.")
    return values


CREATED_KEY = (datetime, uuid.UUID)


def _page(
    statement: Select[Any],
    columns: Sequence[Any],
    key: Callable[[Any], Sequence[Any]],
    *,
    types: Sequence[type] = CREATED_KEY,
    order: str,
    cursor: str | None,
    count: int,
) -> tuple[list[Any], str | None]:
    """One keyset page of ``statement`` (rows), ordered by ``columns``, and the next cursor."""
    if count == 0:
        return [], None
    if cursor:
        statement = statement.where(tuple_(*columns) > tuple_(*_after(cursor, order, types)))
    rows = list(db.session.execute(statement.order_by(*columns).limit(count + 1)).all())
    if len(rows) <= count:
        return rows, None
    rows = rows[:count]
    return rows, encode_cursor(order, list(key(rows[-1])))


def _count(entity: Any, *filters: ColumnElement[bool], join: Any = None) -> int:
    statement = select(func.count()).select_from(entity)
    if join is not None:
        statement = statement.join(*join)
    return int(db.session.scalar(statement.where(*filters)) or 0)


# --- Patient -----------------------------------------------------------------


def read_patient(resource_id: str) -> Resource:
    patient_id = as_uuid(resource_id)
    row = None
    if patient_id is not None:
        row = db.session.scalars(select(Patient).where(Patient.id == patient_id)).one_or_none()
    if row is None:
        raise not_found("Patient")
    if row.archived_at is not None:
        raise Problem(410, "The patient was deleted (archived).", type_="/problems/gone")
    resource = mapping.patient(row)
    _audit("read", resource, row.id)
    return resource


def _identifier_filter(token: str) -> ColumnElement[bool]:
    """``system|value``, ``system|``, ``|value`` (no system: never ours) or ``value``."""
    system, separator, value = token.partition("|")
    if not separator:
        system, value = "", token
        conditions = [PatientIdentifier.value == value]
    elif not system:
        return false()
    else:
        conditions = [PatientIdentifier.system == system]
        if value:
            conditions.append(PatientIdentifier.value == value)
    return Patient.id.in_(select(PatientIdentifier.patient_id).where(*conditions))


def search_patients(
    *, ids: str | None, identifier: str | None, count: int, cursor: str | None
) -> SearchResult:
    filters: list[ColumnElement[bool]] = [Patient.archived_at.is_(None)]
    if ids is not None:
        wanted = [as_uuid(part.strip()) for part in ids.split(",")]
        filters.append(Patient.id.in_([w for w in wanted if w is not None]))
    if identifier is not None:
        filters.append(_identifier_filter(identifier))
    total = _count(Patient, *filters)
    rows, next_cursor = _page(
        select(Patient).where(*filters),
        [Patient.family_name_key, Patient.given_name_key, Patient.id],
        lambda row: (row[0].family_name_key, row[0].given_name_key, row[0].id),
        types=(str, str, uuid.UUID),
        order="fhir.patient.name",
        cursor=cursor,
        count=count,
    )
    patients = [row[0] for row in rows]
    resources = [mapping.patient(p) for p in patients]
    _audit_matches(resources, [p.id for p in patients])
    return SearchResult(resources, total, next_cursor)


# --- EpisodeOfCare -----------------------------------------------------------


def read_episode_of_care(resource_id: str) -> Resource:
    episode_id = as_uuid(resource_id)
    row = None
    if episode_id is not None:
        row = db.session.scalars(select(Episode).where(Episode.id == episode_id)).one_or_none()
    if row is None:
        raise not_found("EpisodeOfCare")
    resource = mapping.episode_of_care(row)
    _audit("read", resource, row.patient_id)
    return resource


def search_episodes_of_care(patient: str, *, count: int, cursor: str | None) -> SearchResult:
    patient_id = patient_reference(patient)
    if patient_id is None:
        return EMPTY
    filters = [Episode.patient_id == patient_id]
    total = _count(Episode, *filters)
    rows, next_cursor = _page(
        select(Episode).where(*filters),
        [Episode.created_at, Episode.id],
        lambda row: (row[0].created_at, row[0].id),
        order="fhir.episode.created",
        cursor=cursor,
        count=count,
    )
    resources = [mapping.episode_of_care(row[0]) for row in rows]
    _audit_matches(resources, [patient_id] * len(resources))
    return SearchResult(resources, total, next_cursor)


# --- Condition ---------------------------------------------------------------


def _condition_select() -> Select[Any]:
    # The episode's columns only: loading Episode entities would load their diagnoses too.
    return select(Diagnosis, Episode.patient_id, Episode.status, Episode.onset_date).join(
        Episode, Diagnosis.episode_id == Episode.id
    )


def _condition(row: Any) -> Resource:
    diagnosis, patient_id, status, onset_date = row
    return mapping.condition(
        diagnosis, patient_id=patient_id, episode_status=status, onset_date=onset_date
    )


def read_condition(resource_id: str) -> Resource:
    diagnosis_id = as_uuid(resource_id)
    row = None
    if diagnosis_id is not None:
        row = db.session.execute(
            _condition_select().where(Diagnosis.id == diagnosis_id)
        ).one_or_none()
    if row is None:
        raise not_found("Condition")
    resource = _condition(row)
    _audit("read", resource, row[1])
    return resource


def search_conditions(patient: str, *, count: int, cursor: str | None) -> SearchResult:
    patient_id = patient_reference(patient)
    if patient_id is None:
        return EMPTY
    filters = [Episode.patient_id == patient_id]
    total = _count(Diagnosis, *filters, join=(Episode, Diagnosis.episode_id == Episode.id))
    rows, next_cursor = _page(
        _condition_select().where(*filters),
        [Diagnosis.recorded_at, Diagnosis.id],
        lambda row: (row[0].recorded_at, row[0].id),
        order="fhir.condition.recorded",
        cursor=cursor,
        count=count,
    )
    resources = [_condition(row) for row in rows]
    _audit_matches(resources, [patient_id] * len(resources))
    return SearchResult(resources, total, next_cursor)


# --- Observation -------------------------------------------------------------


def _current_assessments() -> list[ColumnElement[bool]]:
    """Finalised and not superseded: the assessments whose values stand."""
    return [Assessment.status == FINAL, Assessment.superseded_by_id.is_(None)]


def read_observation(resource_id: str) -> Resource:
    parsed = mapping.parse_observation_id(resource_id)
    if parsed is None:
        raise not_found("Observation")
    assessment_id, key = parsed
    row = db.session.scalars(
        select(Assessment).where(Assessment.id == assessment_id, *_current_assessments())
    ).one_or_none()
    if row is None:
        raise not_found("Observation")
    values = extract_metric_values(row.body)
    if key not in mapping.observation_keys(row.body, values):
        raise not_found("Observation")
    resource = mapping.observation(row, key, values)
    _audit("read", resource, row.patient_id)
    return resource


OBSERVATION_ORDER = "fhir.observation.performed"
OBSERVATION_KEY = (datetime, uuid.UUID, int)

Values = dict[tuple[str, str | None], float]
# An assessment, its extracted metric values and (some of) its Observations' keys.
Expanded = tuple[Assessment, Values, list[mapping.ObservationKey]]


def _observation_start(cursor: str) -> tuple[datetime, uuid.UUID, int]:
    """The (performed_at, assessment id, position) a cursor says the page starts at."""
    performed_at, assessment_id, position = _after(cursor, OBSERVATION_ORDER, OBSERVATION_KEY)
    if position < 0:
        raise bad_parameter("_cursor", "Not a cursor this search issued.")
    if performed_at.tzinfo is None:  # only a forged cursor: read as UTC, as the database did
        performed_at = performed_at.replace(tzinfo=UTC)
    return performed_at, assessment_id, position


def _observation_page(
    expanded: Sequence[Expanded], start: tuple[datetime, uuid.UUID, int] | None, count: int
) -> tuple[list[Expanded], tuple[Assessment, int] | None]:
    """The page's keys (per assessment) from ``start`` on, and where the next page starts.

    Keys only: nothing is built here. ``expanded`` is in (performed_at, id) order.
    """
    page: list[Expanded] = []
    room = count
    for row, values, keys in expanded:
        first = 0
        if start is not None:
            performed_at, assessment_id, position = start
            if (row.performed_at, row.id) < (performed_at, assessment_id):
                continue
            if row.id == assessment_id:
                first = position
        if first >= len(keys):
            continue
        if room == 0:
            return page, (row, first)
        taken = keys[first : first + room]
        page.append((row, values, taken))
        room -= len(taken)
        if first + len(taken) < len(keys):
            return page, (row, first + len(taken))
    return page, None


def search_observations(patient: str, *, count: int, cursor: str | None) -> SearchResult:
    """Observations oldest assessment first, each assessment's in ``observation_keys`` order.

    The cursor is (performed_at, assessment id, position): the next page starts
    at that Observation of that assessment (at the next assessment's first if
    that one is no longer current). One statement reads the patient's current
    assessments in that order (the total needs every body); the total is counted
    from their keys, and only the Observations on the page are built.
    """
    patient_id = patient_reference(patient)
    if patient_id is None:
        return EMPTY
    rows = db.session.scalars(
        select(Assessment)
        .where(Assessment.patient_id == patient_id, *_current_assessments())
        .order_by(Assessment.performed_at, Assessment.id)
    ).all()
    expanded: list[Expanded] = []
    for row in rows:
        values = extract_metric_values(row.body)
        expanded.append((row, values, mapping.observation_keys(row.body, values)))
    total = sum(len(keys) for _, _, keys in expanded)
    if count == 0:
        return SearchResult([], total, None)
    start = _observation_start(cursor) if cursor else None
    page, next_start = _observation_page(expanded, start, count)
    next_cursor = None
    if next_start is not None:
        row, position = next_start
        next_cursor = encode_cursor(OBSERVATION_ORDER, [row.performed_at, row.id, position])
    resources = [
        resource
        for row, values, keys in page
        for resource in mapping.observations(row, keys, values)
    ]
    _audit_matches(resources, [patient_id] * len(resources))
    return SearchResult(resources, total, next_cursor)


# --- Goal --------------------------------------------------------------------


def read_goal(resource_id: str) -> Resource:
    goal_id = as_uuid(resource_id)
    row = None
    if goal_id is not None:
        row = db.session.scalars(select(Goal).where(Goal.id == goal_id)).one_or_none()
    if row is None:
        raise not_found("Goal")
    resource = mapping.goal(row)
    _audit("read", resource, row.patient_id)
    return resource


def search_goals(patient: str, *, count: int, cursor: str | None) -> SearchResult:
    patient_id = patient_reference(patient)
    if patient_id is None:
        return EMPTY
    filters = [Goal.patient_id == patient_id]
    total = _count(Goal, *filters)
    rows, next_cursor = _page(
        select(Goal).where(*filters),
        [Goal.created_at, Goal.id],
        lambda row: (row[0].created_at, row[0].id),
        order="fhir.goal.created",
        cursor=cursor,
        count=count,
    )
    resources = [mapping.goal(row[0]) for row in rows]
    _audit_matches(resources, [patient_id] * len(resources))
    return SearchResult(resources, total, next_cursor)


# --- CarePlan ----------------------------------------------------------------


def _care_plan_select() -> Select[Any]:
    return select(Program, Episode.status).join(Episode, Program.episode_id == Episode.id)


def _care_plans(rows: Sequence[Any]) -> list[Resource]:
    """CarePlans for (program, episode status) rows, with one query for their exercises."""
    ids = mapping.exercise_ids(row[0] for row in rows)
    exercises: dict[uuid.UUID, Exercise] = {}
    if ids:
        found = db.session.scalars(select(Exercise).where(Exercise.id.in_(ids)))
        exercises = {exercise.id: exercise for exercise in found}
    return [mapping.care_plan(program, status, exercises) for program, status in rows]


def read_care_plan(resource_id: str) -> Resource:
    program_id = as_uuid(resource_id)
    row = None
    if program_id is not None:
        row = db.session.execute(_care_plan_select().where(Program.id == program_id)).one_or_none()
    if row is None:
        raise not_found("CarePlan")
    (resource,) = _care_plans([row])
    _audit("read", resource, row[0].patient_id)
    return resource


def search_care_plans(patient: str, *, count: int, cursor: str | None) -> SearchResult:
    patient_id = patient_reference(patient)
    if patient_id is None:
        return EMPTY
    filters = [Program.patient_id == patient_id]
    total = _count(Program, *filters)
    rows, next_cursor = _page(
        _care_plan_select().where(*filters),
        [Program.created_at, Program.id],
        lambda row: (row[0].created_at, row[0].id),
        order="fhir.careplan.created",
        cursor=cursor,
        count=count,
    )
    resources = _care_plans(rows)
    _audit_matches(resources, [patient_id] * len(resources))
    return SearchResult(resources, total, next_cursor)
