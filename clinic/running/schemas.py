"""Return to running: the criteria checklist, the walk-run plan and the patient's run logs.

Load schemas (what clients may send) are separate from dump schemas (what they get):
a run's ids, episode, version and ``pain_next_day`` are never taken from a create body.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import marshmallow as ma

from clinic.core.pagination import page_schema
from clinic.core.schemas import PatchSchema, StrictSchema, number, one_of, whole
from clinic.patients.schemas import SURFACES
from clinic.running.rules import FIRST_PHASE, LAST_PHASE

CRITERION_STATUSES = ("met", "not_met", "not_measured")
# UTC+14 (Kiribati) is the earliest time zone: a date is "in the future" only once it is
# in the future everywhere, so a patient east of UTC can log this morning's run.
EARLIEST_UTC_OFFSET = timedelta(hours=14)


def latest_date_anywhere() -> date:
    """The calendar date in the time zone furthest ahead of UTC."""
    return (datetime.now(UTC) + EARLIEST_UTC_OFFSET).date()


def _not_in_future(value: date) -> None:
    if value > latest_date_anywhere():
        raise ma.ValidationError("Must not be in the future.")


def nrs(**kwargs: Any) -> ma.fields.Integer:
    return whole(0, 10, **kwargs)


# --- The return-to-run checklist -------------------------------------------------------------


class ReturnToRunCriterionSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "e.g. `rtr.plank`"})
    label = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(CRITERION_STATUSES)})
    evidence = ma.fields.Dict(
        required=True,
        metadata={"description": "The measured values the status rests on, and the threshold"},
    )


class ReturnToRunThresholdsSchema(ma.Schema):
    walking_minutes_pain_free = ma.fields.Float(
        required=True, metadata={"description": "Config RTR_WALKING_MINUTES (default 30)"}
    )
    max_pain_activity_nrs = ma.fields.Integer(
        required=True, metadata={"description": "Config RTR_PAIN_ACTIVITY_MAX (default 2)"}
    )
    plank_seconds = ma.fields.Float(
        required=True, metadata={"description": "Config RTR_PLANK_SECONDS (default 45)"}
    )
    side_plank_seconds = ma.fields.Float(
        required=True, metadata={"description": "Config RTR_SIDE_PLANK_SECONDS (default 45)"}
    )
    single_leg_squat_reps = ma.fields.Integer(
        required=True, metadata={"description": "Config RTR_SINGLE_LEG_SQUAT_REPS (default 10)"}
    )
    max_rom_asymmetry_percent = ma.fields.Float(
        required=True, metadata={"description": "Config RTR_ROM_ASYMMETRY_PERCENT (default 10)"}
    )


class ReturnToRunSchema(ma.Schema):
    episode_id = ma.fields.UUID(required=True)
    assessment_id = ma.fields.UUID(
        required=True,
        allow_none=True,
        metadata={"description": "The latest finalised assessment judged; null when none"},
    )
    performed_at = ma.fields.DateTime(
        required=True, allow_none=True, metadata={"description": "When that assessment was done"}
    )
    all_met = ma.fields.Boolean(required=True)
    criteria = ma.fields.List(ma.fields.Nested(ReturnToRunCriterionSchema), required=True)
    thresholds = ma.fields.Nested(ReturnToRunThresholdsSchema, required=True)


# --- The walk-run plan -----------------------------------------------------------------------


class RunPlanCreateSchema(StrictSchema):
    start_date = ma.fields.Date(
        required=True, metadata={"description": "Runs before this date are refused"}
    )


class RunNoticeSchema(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class RunPhaseSchema(ma.Schema):
    number = ma.fields.Integer(required=True)
    walk_minutes = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "null when continuous"}
    )
    run_minutes = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "null when continuous"}
    )
    distance_km = ma.fields.Float(required=True)
    rpe = ma.fields.Integer(required=True, metadata={"description": "Target effort, RPE 0-10"})
    continuous = ma.fields.Boolean(required=True)


class RunPlanSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    episode_id = ma.fields.UUID(required=True)
    patient_id = ma.fields.UUID(required=True)
    start_date = ma.fields.Date(required=True)
    created_at = ma.fields.DateTime(required=True)
    today = ma.fields.Date(
        required=True,
        metadata={
            "description": "The day the status is for: today in UTC, or the latest run's date "
            "when a patient east of UTC already logged it"
        },
    )
    runs_logged = ma.fields.Integer(required=True)
    last_run_date = ma.fields.Date(required=True, allow_none=True)
    current_phase = ma.fields.Integer(required=True)
    phase = ma.fields.Nested(RunPhaseSchema, required=True, metadata={"description": "The current"})
    sessions_in_phase = ma.fields.Integer(
        required=True,
        metadata={"description": "Sessions at the current phase that count toward progressing"},
    )
    sessions_to_progress = ma.fields.Integer(required=True)
    may_progress = ma.fields.Boolean(
        required=True, metadata={"description": "May the next run move up a phase"}
    )
    reasons = ma.fields.List(
        ma.fields.Nested(RunNoticeSchema),
        required=True,
        metadata={"description": "Why the next run may not progress (empty when it may)"},
    )
    next_phase = ma.fields.Integer(
        required=True, metadata={"description": "The phase of the next run"}
    )
    may_run_today = ma.fields.Boolean(required=True)
    next_run_earliest = ma.fields.Date(required=True, allow_none=True)
    warnings = ma.fields.List(
        ma.fields.Nested(RunNoticeSchema),
        required=True,
        metadata={
            "description": "Pain rule, rest day, 10 % weekly increase (config "
            "RUN_WEEKLY_INCREASE_PERCENT), single-run spike, shoe replacement"
        },
    )
    phases = ma.fields.List(
        ma.fields.Nested(RunPhaseSchema),
        required=True,
        metadata={"description": "The whole plan (Trials 2023, table 1)"},
    )


# --- Run logs (patient app) ------------------------------------------------------------------


class RunCreateSchema(StrictSchema):
    """One run. ``walk_minutes``/``run_minutes`` are the walk-run interval done (phase 1 is
    2 and 3); a continuous run has ``walk_minutes`` 0 and ``run_minutes`` the minutes run."""

    date = ma.fields.Date(required=True, validate=_not_in_future)
    phase = whole(
        FIRST_PHASE,
        LAST_PHASE,
        metadata={"description": "The plan phase run; when left out, the phase the plan gave"},
    )
    walk_minutes = number(0, 300, required=True)
    run_minutes = number(0, 300, required=True)
    distance_km = number(0, 100, required=True)
    duration_minutes = number(1, 600, required=True, metadata={"description": "The whole session"})
    surface = one_of(SURFACES, required=True)
    pain_before = nrs(metadata={"description": "NRS 0-10 before the run (0 assumed)"})
    pain_during = nrs(required=True, metadata={"description": "NRS 0-10, the worst during"})
    rpe = nrs(metadata={"description": "Effort, RPE 0-10"})
    notes = ma.fields.String(validate=ma.validate.Length(max=2000))

    @ma.validates_schema
    def _intervals_fit_the_session(self, data: dict[str, Any], **kwargs: Any) -> None:
        duration = data.get("duration_minutes")
        if duration is None:
            return
        errors = {
            name: [f"Must not be longer than duration_minutes ({duration:g})."]
            for name in ("walk_minutes", "run_minutes")
            if data.get(name) is not None and data[name] > duration
        }
        if errors:
            raise ma.ValidationError(errors)


class RunPatchSchema(PatchSchema):
    pain_next_day = nrs(
        metadata={"description": "NRS 0-10 the morning after; from the day after the run"}
    )
    notes = ma.fields.String(validate=ma.validate.Length(max=2000), allow_none=True)


class RunSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    episode_id = ma.fields.UUID(required=True)
    date = ma.fields.Date(required=True)
    phase = ma.fields.Integer(required=True, allow_none=True)
    walk_minutes = ma.fields.Float(required=True, allow_none=True)
    run_minutes = ma.fields.Float(required=True, allow_none=True)
    distance_km = ma.fields.Float(required=True, allow_none=True)
    duration_minutes = ma.fields.Float(required=True, allow_none=True)
    surface = ma.fields.String(required=True, allow_none=True)
    pain_before = ma.fields.Integer(required=True, allow_none=True)
    pain_during = ma.fields.Integer(required=True)
    pain_next_day = ma.fields.Integer(required=True, allow_none=True)
    rpe = ma.fields.Integer(required=True, allow_none=True)
    notes = ma.fields.String(required=True, allow_none=True)
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


RunPageSchema = page_schema(RunSchema, "RunPage")
