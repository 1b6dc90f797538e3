"""Home exercise program use cases: draft, edit, publish (superseding), read, history.

A program belongs to an episode and is versioned by ``number``. A draft can be
edited; publishing freezes it and supersedes the episode's previously
published program, so an episode has at most one published program: the one
the patient sees.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from clinic.core import audit
from clinic.core.changes import CREATED, UPDATED, record_change
from clinic.core.errors import conflict, not_found, validation_problem
from clinic.core.etag import require_if_match
from clinic.core.models import utcnow
from clinic.core.pagination import Page, keyset_page
from clinic.episodes.models import Episode
from clinic.episodes.rules import FINAL_STATES
from clinic.episodes.service import find_episode, find_open_episode
from clinic.exercises.models import Exercise
from clinic.exercises.service import exercises_by_id
from clinic.extensions import db
from clinic.programs.models import DRAFT, PUBLISHED, SUPERSEDED, Program, ProgramItem
from clinic.webhooks.outbox import emit

RESOURCE = "program"
# Programs with fewer exercises are done more faithfully (DOMAIN.md section 4).
ADVISED_MAX_EXERCISES = 6
NUMBER_ATTEMPTS = 3


def _find(program_id: uuid.UUID) -> Program:
    program = db.session.scalars(select(Program).where(Program.id == program_id)).one_or_none()
    if program is None:
        raise not_found("program")
    return program


def warnings_for(program: Program) -> list[dict[str, str]]:
    count = len(program.items)
    if count > ADVISED_MAX_EXERCISES:
        return [
            {
                "code": "program.many_exercises",
                "message": (
                    f"The program has {count} exercises; patients keep up programs of "
                    f"{ADVISED_MAX_EXERCISES} or fewer better."
                ),
            }
        ]
    return []


def _item_view(item: ProgramItem, exercise: dict[str, Any]) -> dict[str, Any]:
    return {
        **{
            c: getattr(item, c)
            for c in (
                "id",
                "exercise_id",
                "sets",
                "reps",
                "hold_seconds",
                "per_side",
                "times_per_day",
                "days_per_week",
                "notes",
            )
        },
        "exercise": exercise,
    }


def _exercise_summary(exercise: Exercise) -> dict[str, Any]:
    return {"id": exercise.id, "name": exercise.name, "category": exercise.category}


def exercises_of(programs: Iterable[Program]) -> dict[uuid.UUID, Exercise]:
    """The exercises the programs' items use, in one query."""
    return exercises_by_id(item.exercise_id for p in programs for item in p.items)


def view(program: Program, exercises: dict[uuid.UUID, Exercise]) -> dict[str, Any]:
    return {
        **{
            c: getattr(program, c)
            for c in (
                "id",
                "episode_id",
                "patient_id",
                "number",
                "status",
                "start_date",
                "end_date",
                "notes",
                "published_at",
                "superseded_at",
                "version",
                "created_at",
                "updated_at",
            )
        },
        "items": [
            _item_view(item, _exercise_summary(exercises[item.exercise_id]))
            for item in program.items
        ],
        "warnings": warnings_for(program),
    }


def view_one(program: Program) -> dict[str, Any]:
    return view(program, exercises_of([program]))


def _known_exercises(items: list[dict[str, Any]]) -> dict[uuid.UUID, Exercise]:
    """The items' exercises; 422 naming each item whose exercise is not the clinic's."""
    known = exercises_by_id(i["exercise_id"] for i in items)
    unknown = {
        f"items.{n}.exercise_id": ["No such exercise in this clinic."]
        for n, item in enumerate(items)
        if item["exercise_id"] not in known
    }
    if unknown:
        raise validation_problem(unknown)
    return known


def _build_items(
    clinic_id: uuid.UUID, items: list[dict[str, Any]], known: dict[uuid.UUID, Exercise]
) -> list[ProgramItem]:
    return [
        ProgramItem(
            clinic_id=clinic_id,
            position=position,
            exercise_id=item["exercise_id"],
            sets=item["sets"],
            reps=item.get("reps"),
            hold_seconds=item.get("hold_seconds"),
            per_side=(
                item["per_side"]
                if item.get("per_side") is not None
                else known[item["exercise_id"]].per_side
            ),
            times_per_day=item["times_per_day"],
            days_per_week=item["days_per_week"],
            notes=item.get("notes"),
        )
        for position, item in enumerate(items)
    ]


def _changed(program: Program, action: str, audit_action: str) -> None:
    db.session.flush()
    record_change(db.session, program.clinic_id, RESOURCE, program.id, action, program.version)
    audit.record(audit_action, RESOURCE, program.id, program.patient_id)


def create_program(episode_id: uuid.UUID, data: dict[str, Any]) -> Program:
    """A new draft, numbered next in the episode."""
    episode = find_open_episode(episode_id)
    items = data.get("items", [])
    known = _known_exercises(items)
    for _ in range(NUMBER_ATTEMPTS):
        latest = db.session.scalar(
            select(func.max(Program.number)).where(Program.episode_id == episode.id)
        )
        program = Program(
            clinic_id=episode.clinic_id,
            episode_id=episode.id,
            patient_id=episode.patient_id,
            number=(latest or 0) + 1,
            status=DRAFT,
            start_date=data["start_date"],
            end_date=data.get("end_date"),
            notes=data.get("notes"),
            items=_build_items(episode.clinic_id, items, known),
        )
        try:
            with db.session.begin_nested():
                db.session.add(program)
                db.session.flush()
        except IntegrityError:  # a concurrent request took the number: take the next
            continue
        _changed(program, CREATED, "create")
        return program
    raise conflict("Another program was being created in this episode; retry.")


def list_programs(episode_id: uuid.UUID, cursor: str | None, limit: int) -> Page:
    """The episode's programs, every version, by number (oldest first)."""
    episode = find_episode(episode_id)
    page = keyset_page(
        select(Program).where(Program.episode_id == episode.id),
        [Program.number, Program.id],
        order_name="programs.number",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )
    audit.record_many("list", RESOURCE, ((p.id, p.patient_id) for p in page.items))
    return page


def read_program(program_id: uuid.UUID) -> Program:
    program = _find(program_id)
    audit.record("read", RESOURCE, program.id, program.patient_id)
    return program


def _refuse_unless_draft(program: Program) -> None:
    if program.status != DRAFT:
        raise conflict(
            f"The program is {program.status}: a published program never changes; "
            "create a new version instead.",
            type_="/problems/program-frozen",
        )


def update_program(program_id: uuid.UUID, changes: dict[str, Any]) -> Program:
    program = _find(program_id)
    require_if_match(program.version)
    _refuse_unless_draft(program)
    find_open_episode(program.episode_id)
    start = changes.get("start_date", program.start_date)
    end = changes.get("end_date", program.end_date)
    if end is not None and end < start:
        field = "end_date" if "end_date" in changes else "start_date"
        message = (
            "Must be on or after start_date."
            if field == "end_date"
            else "Must be on or before end_date."
        )
        raise validation_problem({field: [message]})
    if "items" in changes:
        items = changes["items"]
        program.items = _build_items(program.clinic_id, items, _known_exercises(items))
    for field in ("start_date", "end_date", "notes"):
        if field in changes:
            setattr(program, field, changes[field])
    program.updated_at = utcnow()
    _changed(program, UPDATED, "update")
    return program


def publish_program(program_id: uuid.UUID, if_match: bool) -> Program:
    """Freeze a draft; the episode's published program (if any) becomes superseded."""
    program = _find(program_id)
    # Lock the episode's programs so two publishes in one episode run one after the other
    # (the second then sees the first's result); SQLite serialises writers anyway.
    siblings = list(
        db.session.scalars(
            select(Program)
            .where(Program.episode_id == program.episode_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if if_match:
        require_if_match(program.version)
    if program.status != DRAFT:
        raise conflict(
            f"The program is already {program.status}.", type_="/problems/program-frozen"
        )
    find_open_episode(program.episode_id)
    if not program.items:
        raise conflict("A program without exercises cannot be published; add items first.")
    now = utcnow()
    for previous in siblings:
        if previous.id != program.id and previous.status == PUBLISHED:
            previous.status = SUPERSEDED
            previous.superseded_at = now
            previous.updated_at = now
            _changed(previous, UPDATED, "supersede")
    program.status = PUBLISHED
    program.published_at = now
    program.updated_at = now
    _changed(program, UPDATED, "publish")
    emit(db.session, program.clinic_id, "program.published", RESOURCE, program.id, program.version)
    return program


def program_facts(episode_id: uuid.UUID) -> dict[str, Any]:
    """What the workflow gates need from programs."""
    published = db.session.scalar(
        select(Program.id)
        .where(Program.episode_id == episode_id, Program.status == PUBLISHED)
        .limit(1)
    )
    return {"published_program": published is not None}


def published_versions(episode_id: uuid.UUID) -> list[Program]:
    """Every program of the episode that was ever published (current and superseded)."""
    return list(
        db.session.scalars(
            select(Program)
            .where(Program.episode_id == episode_id, Program.status.in_((PUBLISHED, SUPERSEDED)))
            .order_by(Program.number)
        )
    )


# Built once, with the items joined: the patient app asks for this on every screen.
_CURRENT_PROGRAM = (
    select(Program)
    .options(joinedload(Program.items))
    .where(
        Program.episode_id
        == (
            select(Episode.id)
            .where(
                Episode.patient_id == bindparam("patient_id"),
                Episode.status.not_in(FINAL_STATES),
            )
            .order_by(Episode.created_at.desc(), Episode.id.desc())
            .limit(1)
            .scalar_subquery()
        ),
        Program.patient_id == bindparam("patient_id"),
        Program.status == PUBLISHED,
    )
)


def current_program_for_patient(patient_id: uuid.UUID) -> Program | None:
    """The published program of the patient's latest episode that is not closed."""
    return db.session.scalars(_CURRENT_PROGRAM, {"patient_id": patient_id}).unique().one_or_none()
