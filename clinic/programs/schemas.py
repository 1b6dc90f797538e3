"""Home exercise program schemas: a draft in, a program (with warnings) out."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from clinic.core.pagination import page_schema
from clinic.core.schemas import PatchSchema, StrictBoolean, StrictSchema, whole
from clinic.programs.models import DRAFT, PUBLISHED, SUPERSEDED

MAX_ITEMS = 20
NOTES = ma.validate.Length(max=5000)


class ProgramItemInSchema(StrictSchema):
    exercise_id = ma.fields.UUID(
        required=True, metadata={"description": "An exercise of the clinic"}
    )
    sets = whole(1, 10, required=True)
    reps = whole(1, 100, allow_none=True, metadata={"description": "Either reps or hold_seconds"})
    hold_seconds = whole(
        1, 600, allow_none=True, metadata={"description": "Either hold_seconds or reps"}
    )
    per_side = StrictBoolean(
        metadata={"description": "Each side in turn; the exercise's default when left out"}
    )
    times_per_day = whole(1, 6, required=True)
    days_per_week = whole(1, 7, required=True)
    notes = ma.fields.String(validate=ma.validate.Length(max=1000), allow_none=True)

    @ma.validates_schema
    def _reps_or_hold(self, data: dict[str, Any], **kwargs: Any) -> None:
        has_reps = data.get("reps") is not None
        has_hold = data.get("hold_seconds") is not None
        if has_reps == has_hold:
            message = (
                "Give reps or hold_seconds, not both." if has_reps else "Give reps or hold_seconds."
            )
            raise ma.ValidationError({"reps": [message], "hold_seconds": [message]})


def _items(**kwargs: Any) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.Nested(ProgramItemInSchema),
        validate=ma.validate.Length(max=MAX_ITEMS),
        metadata={
            "description": f"At most {MAX_ITEMS}; more than 6 exercises is allowed with a warning"
        },
        **kwargs,
    )


def _ends_after_start(data: dict[str, Any]) -> None:
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end < start:
        raise ma.ValidationError({"end_date": ["Must be on or after start_date."]})


class ProgramWriteSchema(StrictSchema):
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(allow_none=True, metadata={"description": "On or after start_date"})
    notes = ma.fields.String(validate=NOTES, allow_none=True)
    items = _items(load_default=list)

    @ma.validates_schema
    def _dates(self, data: dict[str, Any], **kwargs: Any) -> None:
        _ends_after_start(data)


class ProgramPatchSchema(PatchSchema):
    """A draft's fields; `items`, when sent, replaces the list as a whole (new item ids)."""

    start_date = ma.fields.Date()
    end_date = ma.fields.Date(allow_none=True)
    notes = ma.fields.String(validate=NOTES, allow_none=True)
    items = _items()

    @ma.validates_schema
    def _dates(self, data: dict[str, Any], **kwargs: Any) -> None:
        _ends_after_start(data)


class ExerciseSummarySchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    category = ma.fields.String(required=True)


class ProgramItemSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    exercise_id = ma.fields.UUID(required=True)
    exercise = ma.fields.Nested(ExerciseSummarySchema, required=True)
    sets = ma.fields.Integer(required=True)
    reps = ma.fields.Integer(allow_none=True)
    hold_seconds = ma.fields.Integer(allow_none=True)
    per_side = StrictBoolean(required=True)
    times_per_day = ma.fields.Integer(required=True)
    days_per_week = ma.fields.Integer(required=True)
    notes = ma.fields.String(allow_none=True)


class WarningSchema(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class ProgramSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    episode_id = ma.fields.UUID(required=True)
    patient_id = ma.fields.UUID(required=True)
    number = ma.fields.Integer(required=True, metadata={"description": "1, 2, ... in the episode"})
    status = ma.fields.String(required=True, metadata={"enum": [DRAFT, PUBLISHED, SUPERSEDED]})
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(ProgramItemSchema), required=True)
    warnings = ma.fields.List(
        ma.fields.Nested(WarningSchema),
        required=True,
        metadata={"description": "Advice that does not block saving or publishing"},
    )
    published_at = ma.fields.DateTime(allow_none=True)
    superseded_at = ma.fields.DateTime(allow_none=True)
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


ProgramPageSchema = page_schema(ProgramSchema, "ProgramPage")
