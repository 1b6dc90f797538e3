"""Exercise use cases: seed the catalogue, search it, add the clinic's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from clinic.core import audit
from clinic.core.changes import CREATED, record_change
from clinic.core.errors import not_found
from clinic.core.models import utcnow
from clinic.core.pagination import Page, keyset_page
from clinic.exercises.catalogue import CATALOGUE
from clinic.exercises.models import Exercise
from clinic.extensions import db

RESOURCE = "exercise"


def seed_catalogue(clinic_id: uuid.UUID) -> int:
    """Add the catalogue's exercises the clinic lacks; the number added (0 when all are there).

    Idempotent by (clinic_id, slug), also when two run at once: the insert skips
    slugs another transaction added meanwhile. The session must be scoped to
    this clinic (``set_clinic``) or to ``all_clinics``, as for any clinic data.
    """
    session = db.session
    present = set(session.scalars(select(Exercise.slug).where(Exercise.clinic_id == clinic_id)))
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "clinic_id": clinic_id,
            "slug": item.slug,
            "name": item.name,
            "category": item.category,
            "target_muscles": list(item.target_muscles),
            "equipment": list(item.equipment),
            "instructions": item.instructions,
            "default_sets": item.default_sets,
            "default_reps": item.default_reps,
            "default_hold_seconds": item.default_hold_seconds,
            "per_side": item.per_side,
            "created_at": now,
        }
        for item in CATALOGUE
        if item.slug not in present
    ]
    if not rows:
        return 0
    table = cast(Table, Exercise.__table__)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["clinic_id", "slug"]
        )
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(
            index_elements=["clinic_id", "slug"]
        )
    else:  # pragma: no cover - the two databases we run on
        statement = insert(table)
    # RETURNING names the rows that went in (rowcount is not reliable for a multi-row insert).
    return len(session.execute(statement.values(rows).returning(table.c.id)).all())


def view(exercise: Exercise) -> dict[str, Any]:
    return {
        **{
            c: getattr(exercise, c)
            for c in (
                "id",
                "slug",
                "name",
                "category",
                "target_muscles",
                "equipment",
                "instructions",
                "default_sets",
                "default_reps",
                "default_hold_seconds",
                "per_side",
                "created_at",
            )
        },
        "source": "catalogue" if exercise.slug else "clinic",
    }


def find_exercise(exercise_id: uuid.UUID) -> Exercise:
    exercise = db.session.scalars(select(Exercise).where(Exercise.id == exercise_id)).one_or_none()
    if exercise is None:
        raise not_found("exercise")
    return exercise


_BY_IDS = select(Exercise).where(Exercise.id.in_(bindparam("ids", expanding=True)))


def exercises_by_id(exercise_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Exercise]:
    """The clinic's exercises among these ids, in one query (unknown ids are left out)."""
    wanted = set(exercise_ids)
    if not wanted:
        return {}
    rows = db.session.scalars(_BY_IDS, {"ids": list(wanted)})
    return {e.id: e for e in rows}


def list_exercises(category: str | None, q: str | None, cursor: str | None, limit: int) -> Page:
    """The clinic's exercises (seeded and own) by category, then name."""
    statement = select(Exercise)
    if category:
        statement = statement.where(Exercise.category == category)
    if q:
        statement = statement.where(
            func.lower(Exercise.name).contains(q.strip().lower(), autoescape=True)
        )
    return keyset_page(
        statement,
        [Exercise.category, Exercise.name, Exercise.id],
        order_name="exercises.category_name",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )


def add_exercise(clinic_id: uuid.UUID, data: dict[str, Any]) -> Exercise:
    exercise = Exercise(
        clinic_id=clinic_id,
        slug=None,
        name=data["name"].strip(),
        category=data["category"],
        target_muscles=[m.strip() for m in data["target_muscles"]],
        equipment=[e.strip() for e in data["equipment"]],
        instructions=data["instructions"],
        default_sets=data["default_sets"],
        default_reps=data.get("default_reps"),
        default_hold_seconds=data.get("default_hold_seconds"),
        per_side=data["per_side"],
    )
    db.session.add(exercise)
    db.session.flush()
    record_change(db.session, clinic_id, RESOURCE, exercise.id, CREATED, 1)
    audit.record("create", RESOURCE, exercise.id)
    return exercise
