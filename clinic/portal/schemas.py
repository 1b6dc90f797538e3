"""Portal schemas: invitations and activation, the patient's program, session logs, adherence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import marshmallow as ma

from clinic.core.pagination import page_schema
from clinic.core.schemas import StrictBoolean, StrictSchema, VerbatimList, distinct_by, whole

# The latest time zone is UTC+14: a patient's today may be the server's tomorrow.
TIME_ZONE_GRACE = timedelta(days=1)
MAX_WINDOW_DAYS = 365


def utc_today() -> date:
    return datetime.now(UTC).date()


def _not_in_future(value: date) -> None:
    if value > utc_today() + TIME_ZONE_GRACE:
        raise ma.ValidationError("Must not be in the future.")


# --- Invitations and activation ---------------------------------------------------------------


class InvitationRequestSchema(StrictSchema):
    expires_in_days = ma.fields.Integer(
        strict=True,
        load_default=7,
        validate=ma.validate.Range(min=1, max=30),
        metadata={"description": "1 to 30 days (default 7)"},
    )


class InvitationSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    patient_id = ma.fields.UUID(required=True)
    code = ma.fields.String(
        required=True,
        metadata={
            "description": "Shown once: give it to the patient. Case, spaces and dashes "
            "do not matter when typed back",
            "example": "7K3M-Q9TX-2HVD-R8WC",
        },
    )
    expires_at = ma.fields.DateTime(required=True)


class ActivationRequestSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(min=12, max=1024, error="Use 12 to 1024 characters."),
    )


class ActivationSchema(ma.Schema):
    patient_id = ma.fields.UUID(required=True)
    email = ma.fields.String(
        required=True, metadata={"description": "Log in with it at POST /api/v1/auth/token"}
    )


# --- The patient's program --------------------------------------------------------------------


class MeExerciseSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    instructions = ma.fields.String(required=True)
    equipment = ma.fields.List(ma.fields.String(), required=True)
    target_muscles = ma.fields.List(ma.fields.String(), required=True)


class MeProgramItemSchema(ma.Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "Log sessions against this id"})
    exercise = ma.fields.Nested(MeExerciseSchema, required=True)
    sets = ma.fields.Integer(required=True)
    reps = ma.fields.Integer(allow_none=True)
    hold_seconds = ma.fields.Integer(allow_none=True)
    per_side = StrictBoolean(required=True)
    times_per_day = ma.fields.Integer(required=True)
    days_per_week = ma.fields.Integer(required=True)
    notes = ma.fields.String(allow_none=True)


class MeProgramSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    published_at = ma.fields.DateTime(required=True)
    items = VerbatimList(ma.fields.Nested(MeProgramItemSchema), required=True)


# --- Session logs -----------------------------------------------------------------------------


class LogItemInSchema(StrictSchema):
    program_item_id = ma.fields.UUID(required=True)
    sets_completed = whole(0, 20, required=True)


class ExerciseLogWriteSchema(StrictSchema):
    date = ma.fields.Date(required=True, validate=_not_in_future)
    program_id = ma.fields.UUID(required=True, metadata={"description": "Your current program"})
    items = ma.fields.List(
        ma.fields.Nested(LogItemInSchema),
        required=True,
        validate=[ma.validate.Length(min=1, max=20), distinct_by("program_item_id")],
    )
    pain_nrs = whole(0, 10, allow_none=True, metadata={"description": "Pain 0-10"})
    rpe = whole(0, 10, allow_none=True, metadata={"description": "Effort 0-10"})
    notes = ma.fields.String(validate=ma.validate.Length(max=2000), allow_none=True)


class LogItemSchema(ma.Schema):
    program_item_id = ma.fields.UUID(required=True)
    sets_completed = ma.fields.Integer(required=True)


class ExerciseLogSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    date = ma.fields.Date(required=True)
    program_id = ma.fields.UUID(required=True)
    items = ma.fields.List(ma.fields.Nested(LogItemSchema), required=True)
    pain_nrs = ma.fields.Integer(allow_none=True)
    rpe = ma.fields.Integer(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


ExerciseLogPageSchema = page_schema(ExerciseLogSchema, "ExerciseLogPage")


# --- Adherence --------------------------------------------------------------------------------


class AdherenceQuerySchema(StrictSchema):
    window_days = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_WINDOW_DAYS),
        metadata={"description": "One window of this many days; both 7 and 28 when left out"},
    )


class AdherenceWindowSchema(ma.Schema):
    window_days = ma.fields.Integer(required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True, metadata={"description": "Today (UTC), included"})
    days_covered = ma.fields.Integer(
        required=True,
        metadata={"description": "Days of the window a published program was in force"},
    )
    prescribed_sessions = ma.fields.Float(
        required=True,
        metadata={
            "description": "Summed over the covered days: the sessions per day of the program in "
            "force, i.e. the most frequent item's times_per_day x days_per_week / 7. The program "
            "in force on a day is the latest published version whose start_date..end_date "
            "covers it, a version stopping the day it is superseded"
        },
    )
    logged_sessions = ma.fields.Integer(
        required=True,
        metadata={"description": "The patient's session logs dated on the covered days"},
    )
    adherence_percent = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Logged / prescribed x 100, capped at 100; null: nothing prescribed"
        },
    )


class AdherenceSchema(ma.Schema):
    episode_id = ma.fields.UUID(required=True)
    as_of = ma.fields.Date(required=True)
    windows = ma.fields.List(ma.fields.Nested(AdherenceWindowSchema), required=True)
