"""Exercise schemas: the clinic's own exercises in, the catalogue out."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from clinic.core.pagination import PageQuerySchema, page_schema
from clinic.core.schemas import StrictBoolean, StrictSchema, distinct, one_of, text, whole
from clinic.exercises.catalogue import CATEGORIES, EQUIPMENT


class ExerciseWriteSchema(StrictSchema):
    """A clinic's own exercise; give default reps or a default hold time, not both."""

    name = text(120, required=True)
    category = one_of(CATEGORIES, required=True)
    target_muscles = ma.fields.List(
        text(60), load_default=list, validate=[ma.validate.Length(max=12), distinct]
    )
    equipment = ma.fields.List(
        text(40),
        load_default=list,
        validate=[ma.validate.Length(max=10), distinct],
        metadata={"description": "Free words; the seeded catalogue uses " + ", ".join(EQUIPMENT)},
    )
    instructions = text(5000, required=True, metadata={"description": "Shown to the patient"})
    default_sets = whole(1, 10, required=True)
    default_reps = whole(
        1, 100, allow_none=True, metadata={"description": "Either this or default_hold_seconds"}
    )
    default_hold_seconds = whole(
        1, 600, allow_none=True, metadata={"description": "Either this or default_reps"}
    )
    per_side = StrictBoolean(load_default=False, metadata={"description": "Each side in turn"})

    @ma.validates_schema
    def _reps_or_hold(self, data: dict[str, Any], **kwargs: Any) -> None:
        has_reps = data.get("default_reps") is not None
        has_hold = data.get("default_hold_seconds") is not None
        if has_reps and has_hold:
            message = "Give default_reps or default_hold_seconds, not both."
            raise ma.ValidationError({"default_reps": [message], "default_hold_seconds": [message]})
        if not has_reps and not has_hold:
            message = "Give default_reps or default_hold_seconds."
            raise ma.ValidationError({"default_reps": [message], "default_hold_seconds": [message]})


class ExerciseQuerySchema(PageQuerySchema):
    category = one_of(CATEGORIES)
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "Case-insensitive text anywhere in the name"},
    )


class ExerciseSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    slug = ma.fields.String(
        allow_none=True, metadata={"description": "The catalogue's key; null for the clinic's own"}
    )
    source = ma.fields.String(
        required=True,
        metadata={"description": "catalogue or clinic", "enum": ["catalogue", "clinic"]},
    )
    name = ma.fields.String(required=True)
    category = ma.fields.String(required=True, metadata={"enum": list(CATEGORIES)})
    target_muscles = ma.fields.List(ma.fields.String(), required=True)
    equipment = ma.fields.List(ma.fields.String(), required=True)
    instructions = ma.fields.String(required=True)
    default_sets = ma.fields.Integer(required=True)
    default_reps = ma.fields.Integer(allow_none=True)
    default_hold_seconds = ma.fields.Integer(allow_none=True)
    per_side = StrictBoolean(required=True)
    created_at = ma.fields.DateTime(required=True)


ExercisePageSchema = page_schema(ExerciseSchema, "ExercisePage")
