from __future__ import annotations

from datetime import date

import marshmallow as ma

from clinic.assessments.schemas import PAIN_LOCATIONS, PAIN_ONSETS, PAIN_TYPES
from clinic.core.pagination import page_schema
from clinic.core.schemas import (
    SIDES_OR_BOTH,
    PatchSchema,
    StrictBoolean,
    StrictSchema,
    list_of,
    number,
    one_of,
    text,
    whole,
)
from clinic.episodes.diagnoses import DIAGNOSES
from clinic.episodes.rules import STATES
from clinic.patients.schemas import RunningProfileSchema

AGGRAVATING_FACTORS = (
    "squatting",
    "crossing_legs",
    "prolonged_sitting",
    "stairs",
    "running",
    "hills",
    "lying_on_side",
    "rising_from_sitting",
)
SYMPTOMS = (
    "clicking",
    "popping",
    "stiffness",
    "limited_range_of_motion",
    "weakness",
    "locking",
    "instability",
)


def _not_in_future(value: date) -> None:
    if value > date.today():
        raise ma.ValidationError("Must not be in the future.")


class FootwearSchema(StrictSchema):
    shoe_distance_km = number(
        0, 5000, metadata={"description": "On the current pair; replace from 480-800 km"}
    )
    last_replaced = ma.fields.Date(validate=_not_in_future)


class PreviousInjurySchema(StrictSchema):
    description = text(200, required=True)
    year = whole(1950, 2100)
    side = one_of(SIDES_OR_BOTH)


class HistorySchema(StrictSchema):
    """The subjective history taken at intake."""

    pain_location = list_of(PAIN_LOCATIONS)
    pain_type = list_of(PAIN_TYPES)
    pain_onset = one_of(PAIN_ONSETS)
    aggravating_factors = list_of(AGGRAVATING_FACTORS)
    accompanying_symptoms = list_of(SYMPTOMS)
    symptom_duration_weeks = whole(0, 520)
    running = ma.fields.Nested(RunningProfileSchema)
    footwear = ma.fields.Nested(FootwearSchema)
    previous_injuries = ma.fields.List(
        ma.fields.Nested(PreviousInjurySchema), validate=ma.validate.Length(max=20)
    )
    notes = ma.fields.String(validate=ma.validate.Length(max=5000))


class DiagnosisInSchema(StrictSchema):
    code = one_of(DIAGNOSES, required=True, metadata={"description": "A local diagnosis code"})
    side = one_of(SIDES_OR_BOTH, required=True)
    note = ma.fields.String(validate=ma.validate.Length(max=500))


class EpisodeWriteSchema(StrictSchema):
    title = text(200, required=True)
    side = one_of(SIDES_OR_BOTH, required=True)
    onset_date = ma.fields.Date(validate=_not_in_future, allow_none=True)
    history = ma.fields.Nested(HistorySchema)
    diagnoses = ma.fields.List(
        ma.fields.Nested(DiagnosisInSchema), validate=ma.validate.Length(max=10)
    )


class EpisodePatchSchema(PatchSchema, EpisodeWriteSchema):
    """Fields sent replace the stored ones (`history` and `diagnoses` as a whole)."""

    title = text(200)
    side = one_of(SIDES_OR_BOTH)


class DiagnosisSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    display = ma.fields.String(required=True)
    side = ma.fields.String(required=True)
    note = ma.fields.String(allow_none=True)


class EpisodeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    patient_id = ma.fields.UUID(required=True)
    title = ma.fields.String(required=True)
    side = ma.fields.String(required=True)
    onset_date = ma.fields.Date(allow_none=True)
    status = ma.fields.String(required=True, metadata={"enum": list(STATES)})
    held_from = ma.fields.String(allow_none=True)
    history = ma.fields.Dict(required=True)
    diagnoses = ma.fields.List(ma.fields.Nested(DiagnosisSchema), required=True)
    allowed_transitions = ma.fields.List(ma.fields.String(), required=True)
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    closed_at = ma.fields.DateTime(allow_none=True)


EpisodePageSchema = page_schema(EpisodeSchema, "EpisodePage")


class TransitionRequestSchema(StrictSchema):
    to = one_of(STATES, required=True)
    reason = ma.fields.String(validate=ma.validate.Length(min=1, max=2000))
    override = StrictBoolean(
        load_default=False,
        metadata={"description": "Only into return_to_run, and only with a reason"},
    )


class TransitionSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    from_status = ma.fields.String(required=True)
    to_status = ma.fields.String(required=True)
    reason = ma.fields.String(allow_none=True)
    override = StrictBoolean(required=True)
    actor_id = ma.fields.UUID(required=True)
    occurred_at = ma.fields.DateTime(required=True)


class TransitionListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TransitionSchema), required=True)
