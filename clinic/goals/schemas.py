"""Goal bodies: types, ranges and enumerations here; what makes a goal SMART in the service.

A create body's fields are each optional to the schema so that one 422 can name every
part that keeps a goal from being SMART (``clinic.goals.rules.check_smart``), with a
message saying what to give, instead of stopping at the first missing field.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from clinic.core.pagination import PageQuerySchema, page_schema
from clinic.core.schemas import SIDES_OR_BOTH, PatchSchema, StrictSchema, number, one_of, text
from clinic.goals.rules import COMPARATORS, TERMS

LIFECYCLE_STATES = ("proposed", "active", "on-hold", "completed", "cancelled")
CREATE_LIFECYCLE_STATES = ("proposed", "active")
ACHIEVEMENT_STATES = (
    "in-progress",
    "improving",
    "worsening",
    "no-change",
    "achieved",
    "not-achieved",
)

# Wide enough for any metric in the catalogue (degrees, seconds, minutes, percent, scores).
VALUE_RANGE = (-10000, 10000)


def _value(**kwargs: Any) -> ma.fields.Float:
    return number(*VALUE_RANGE, **kwargs)


class GoalCreateSchema(StrictSchema):
    """A SMART goal. Refused (422, each part named) unless it has a description,
    a catalogue metric (with `side` for per-side metrics), a target, a comparator,
    a unit, a rationale, a due date after the start date, and a target not already met
    at baseline. Omitted: `baseline_value` is the metric's latest finalised value in the
    episode, `unit` the metric's unit (a unit given must be the metric's), `start_date`
    today, `lifecycle_status` active."""

    term = one_of(TERMS, metadata={"description": "short (usually 2-4 weeks) or long (6-12)"})
    description = text(2000, metadata={"description": "What the patient will be able to do"})
    metric = ma.fields.String(
        validate=ma.validate.Length(min=1, max=60),
        metadata={"description": "A code of the metric catalogue (GET /api/v1/metrics)"},
    )
    side = one_of(
        SIDES_OR_BOTH,
        allow_none=True,
        metadata={"description": "left or right for per-side metrics; empty otherwise"},
    )
    baseline_value = _value(
        allow_none=True,
        metadata={"description": "Default: the latest finalised value of the metric"},
    )
    target_value = _value()
    comparator = one_of(COMPARATORS, metadata={"description": "How the value meets the target"})
    unit = text(30, metadata={"description": "The metric's UCUM unit; default: filled from it"})
    start_date = ma.fields.Date(metadata={"description": "Default: today"})
    due_date = ma.fields.Date()
    rationale = text(2000, metadata={"description": "Why it is achievable and relevant"})
    parent_goal_id = ma.fields.UUID(
        allow_none=True,
        metadata={"description": "The long-term goal a short-term goal is a milestone of"},
    )
    lifecycle_status = one_of(
        CREATE_LIFECYCLE_STATES, metadata={"description": "proposed or active (default)"}
    )


class GoalPatchSchema(PatchSchema):
    """Move the goal's lifecycle or change what may change; SMART checks run on the result.

    Lifecycle: proposed -> active or cancelled; active -> on-hold, completed or cancelled;
    on-hold -> active or cancelled; completed and cancelled are final (409).
    """

    lifecycle_status = one_of(LIFECYCLE_STATES)
    description = text(2000)
    rationale = text(2000)
    due_date = ma.fields.Date()
    target_value = _value()


class GoalQuerySchema(PageQuerySchema):
    lifecycle_status = one_of(LIFECYCLE_STATES, metadata={"description": "Only goals in it"})
    term = one_of(TERMS, metadata={"description": "Only short- or long-term goals"})


class GoalSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    episode_id = ma.fields.UUID(required=True)
    patient_id = ma.fields.UUID(required=True)
    term = ma.fields.String(required=True, metadata={"enum": list(TERMS)})
    description = ma.fields.String(required=True)
    metric = ma.fields.String(required=True)
    side = ma.fields.String(allow_none=True)
    baseline_value = ma.fields.Float(required=True)
    target_value = ma.fields.Float(required=True)
    comparator = ma.fields.String(required=True, metadata={"enum": list(COMPARATORS)})
    unit = ma.fields.String(required=True)
    start_date = ma.fields.Date(required=True)
    due_date = ma.fields.Date(required=True)
    rationale = ma.fields.String(required=True)
    parent_goal_id = ma.fields.UUID(allow_none=True)
    lifecycle_status = ma.fields.String(
        required=True, metadata={"enum": list(LIFECYCLE_STATES), "description": "FHIR goal-status"}
    )
    achievement_status = ma.fields.String(
        required=True,
        metadata={"enum": list(ACHIEVEMENT_STATES), "description": "FHIR goal-achievement"},
    )
    current_value = ma.fields.Float(
        allow_none=True, metadata={"description": "The latest value measured; null until then"}
    )
    progress_percent = ma.fields.Float(
        allow_none=True, metadata={"description": "Share of the way from baseline to target"}
    )
    evaluated_at = ma.fields.DateTime(allow_none=True)
    warnings = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Soft warnings, e.g. a horizon unusual for the term"},
    )
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


GoalPageSchema = page_schema(GoalSchema, "GoalPage")


class PatientGoalSchema(ma.Schema):
    """A goal as the patient app shows it."""

    id = ma.fields.UUID(required=True)
    episode_id = ma.fields.UUID(required=True)
    term = ma.fields.String(required=True, metadata={"enum": list(TERMS)})
    description = ma.fields.String(required=True)
    metric = ma.fields.String(required=True)
    metric_label = ma.fields.String(required=True, metadata={"example": "Continuous running"})
    unit = ma.fields.String(required=True)
    side = ma.fields.String(allow_none=True)
    baseline_value = ma.fields.Float(required=True)
    target_value = ma.fields.Float(required=True)
    comparator = ma.fields.String(required=True, metadata={"enum": list(COMPARATORS)})
    current_value = ma.fields.Float(allow_none=True)
    progress_percent = ma.fields.Float(allow_none=True)
    achievement_status = ma.fields.String(
        required=True, metadata={"enum": list(ACHIEVEMENT_STATES)}
    )
    lifecycle_status = ma.fields.String(required=True, metadata={"enum": list(LIFECYCLE_STATES)})
    start_date = ma.fields.Date(required=True)
    due_date = ma.fields.Date(required=True)


PatientGoalPageSchema = page_schema(PatientGoalSchema, "PatientGoalPage")
