"""The assessment body, validated strictly: ranges, sides, enumerations, units.

Every part is optional; what is given must be right. Degree ranges are wide
enough for any plausible measurement and narrow enough to catch unit slips.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import marshmallow as ma

from clinic.assessments.reference import HIP_MOTIONS, LEFS_ITEM_COUNT
from clinic.core.pagination import page_schema
from clinic.core.schemas import (
    RESULTS,
    SIDES,
    SIDES_OR_BOTH,
    PatchSchema,
    StrictBoolean,
    StrictSchema,
    VerbatimList,
    distinct_by,
    list_of,
    number,
    one_of,
    per_side,
    text,
    whole,
)

KINDS = ("initial", "progress", "discharge")
PAIN_LOCATIONS = ("anterior", "lateral", "posterior", "deep_groin")
PAIN_TYPES = ("sharp", "dull", "aching", "throbbing")
PAIN_ONSETS = ("during_run", "immediately_after", "hours_after")
MUSCLE_GROUPS = (
    "hip_abductors",
    "hip_adductors",
    "hip_extensors",
    "hip_flexors",
    "hip_external_rotators",
    "hip_internal_rotators",
    "core",
)
SPECIAL_TESTS = ("fadir", "faber")
# Degrees a hip can plausibly reach per motion; extension may be negative
# (a flexion contracture stops short of neutral).
ROM_RANGES = {
    "flexion": (0, 160),
    "extension": (-30, 60),
    "abduction": (0, 90),
    "adduction": (0, 60),
    "internal_rotation": (0, 90),
    "external_rotation": (0, 90),
}
CLOCK_SKEW = timedelta(minutes=5)


def nrs(**kwargs: object) -> ma.fields.Integer:
    return whole(0, 10, **kwargs)


class PainSchema(StrictSchema):
    rest = nrs(metadata={"description": "NRS 0-10 at rest"})
    activity = nrs(metadata={"description": "NRS 0-10 in daily activity"})
    running = nrs(metadata={"description": "NRS 0-10 during or after running"})
    location = list_of(PAIN_LOCATIONS)
    type = list_of(PAIN_TYPES)
    onset = one_of(PAIN_ONSETS)


class ThomasSideSchema(StrictSchema):
    hip_extension_deg = number(
        -60, 40, metadata={"description": "Negative when the thigh rests above the horizontal"}
    )
    knee_flexion_deg = number(0, 160)
    hip_abduction_deg = number(0, 60)
    result = one_of(RESULTS)


class TrendelenburgSideSchema(StrictSchema):
    result = one_of(RESULTS, required=True)
    hold_seconds = number(0, 120, metadata={"description": "Standard test: 30 s"})
    pelvic_drop = StrictBoolean()
    compensated = StrictBoolean(metadata={"description": "Trunk lean over the stance side"})


class RomSchema(StrictSchema):
    joint = one_of(("hip",), required=True)
    motion = one_of(HIP_MOTIONS, required=True)
    side = one_of(SIDES, required=True)
    mode = one_of(("active", "passive"), required=True)
    degrees = number(-30, 160, required=True)
    painful = StrictBoolean()

    @ma.validates_schema
    def _degrees_fit_the_motion(self, data: dict, **kwargs: object) -> None:
        low, high = ROM_RANGES[data["motion"]]
        if not low <= data["degrees"] <= high:
            raise ma.ValidationError(
                f"Hip {data['motion'].replace('_', ' ')} must be {low} to {high} degrees.",
                "degrees",
            )


class StrengthSchema(StrictSchema):
    muscle_group = one_of(MUSCLE_GROUPS, required=True)
    side = one_of(SIDES_OR_BOTH, required=True)
    grade = whole(0, 5, required=True, metadata={"description": "Manual muscle test, 0-5"})
    dynamometer_newtons = number(0, 2000)


class SpecialTestSchema(StrictSchema):
    test = one_of(SPECIAL_TESTS, required=True)
    side = one_of(SIDES, required=True)
    result = one_of(RESULTS, required=True)
    pain_reproduced = StrictBoolean()


class SingleLegSquatSideSchema(StrictSchema):
    reps = whole(0, 100, required=True)
    pain = StrictBoolean()
    pelvic_drop = StrictBoolean()
    knee_valgus = StrictBoolean()


class HopSideSchema(StrictSchema):
    distance_cm = number(0, 400, required=True)
    pain = StrictBoolean()


class FunctionalSchema(StrictSchema):
    plank_seconds = number(0, 900)
    side_plank_seconds = ma.fields.Nested(per_side(lambda: number(0, 900), "SidePlankSeconds"))
    walking_minutes_pain_free = number(0, 600)
    single_leg_squat = ma.fields.Nested(
        per_side(lambda: ma.fields.Nested(SingleLegSquatSideSchema), "SingleLegSquat")
    )
    single_leg_hop = ma.fields.Nested(
        per_side(lambda: ma.fields.Nested(HopSideSchema), "SingleLegHop")
    )


class RunningFormSchema(StrictSchema):
    pelvic_drop = StrictBoolean()
    knee_valgus = StrictBoolean()
    overstriding = StrictBoolean()
    cadence_spm = number(100, 250, metadata={"description": "Steps per minute"})


class HoosSchema(StrictSchema):
    pain = number(0, 100)
    symptoms = number(0, 100)
    adl = number(0, 100)
    sport_recreation = number(0, 100)
    quality_of_life = number(0, 100)


class OutcomeMeasuresSchema(StrictSchema):
    lefs = ma.fields.List(
        whole(0, 4),
        validate=ma.validate.Length(equal=LEFS_ITEM_COUNT),
        metadata={"description": "The 20 LEFS items, each 0-4, in questionnaire order"},
    )
    hoos = ma.fields.Nested(HoosSchema)


class AmendsSchema(StrictSchema):
    id = ma.fields.UUID(required=True)
    reason = text(2000, required=True)


def _not_in_future(value: datetime) -> None:
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ma.ValidationError("Must not be in the future.")


class AssessmentPartsSchema(StrictSchema):
    """The clinical parts, shared by create and update."""

    pain = ma.fields.Nested(PainSchema)
    thomas_test = ma.fields.Nested(
        per_side(lambda: ma.fields.Nested(ThomasSideSchema), "ThomasTest")
    )
    trendelenburg = ma.fields.Nested(
        per_side(lambda: ma.fields.Nested(TrendelenburgSideSchema), "Trendelenburg")
    )
    straight_leg_raise = ma.fields.Nested(per_side(lambda: number(0, 130), "StraightLegRaise"))
    rom = ma.fields.List(
        ma.fields.Nested(RomSchema),
        validate=[ma.validate.Length(max=48), distinct_by("joint", "motion", "side", "mode")],
    )
    strength = ma.fields.List(
        ma.fields.Nested(StrengthSchema),
        validate=[ma.validate.Length(max=30), distinct_by("muscle_group", "side")],
    )
    special_tests = ma.fields.List(
        ma.fields.Nested(SpecialTestSchema),
        validate=[ma.validate.Length(max=10), distinct_by("test", "side")],
    )
    functional = ma.fields.Nested(FunctionalSchema)
    running_form = ma.fields.Nested(RunningFormSchema)
    outcome_measures = ma.fields.Nested(OutcomeMeasuresSchema)
    notes = ma.fields.String(validate=ma.validate.Length(max=5000), allow_none=True)
    performed_at = ma.fields.AwareDateTime(default_timezone=UTC, validate=_not_in_future)


PARTS = (
    "pain",
    "thomas_test",
    "trendelenburg",
    "straight_leg_raise",
    "rom",
    "strength",
    "special_tests",
    "functional",
    "running_form",
    "outcome_measures",
)


class AssessmentCreateSchema(AssessmentPartsSchema):
    kind = one_of(KINDS, required=True)
    performed_at = ma.fields.AwareDateTime(
        required=True, default_timezone=UTC, validate=_not_in_future
    )
    amends = ma.fields.Nested(
        AmendsSchema,
        metadata={"description": "A correction of a finalised assessment: its id and why"},
    )


class AssessmentUpdateSchema(PatchSchema, AssessmentPartsSchema):
    """A draft's parts; a part sent replaces that part (null removes it)."""

    kind = one_of(KINDS)


for _part in PARTS:
    # A copy: the create schema shares the declared field objects and keeps refusing null.
    _nullable = copy.copy(AssessmentUpdateSchema._declared_fields[_part])
    _nullable.allow_none = True
    AssessmentUpdateSchema._declared_fields[_part] = _nullable


class FindingSchema(ma.Schema):
    code = ma.fields.String(required=True)
    side = ma.fields.String(allow_none=True)
    severity = ma.fields.String(required=True, metadata={"description": "normal, abnormal or info"})
    message = ma.fields.String(required=True)
    value = ma.fields.Float(allow_none=True)
    reference = ma.fields.String(allow_none=True)


class AssessmentSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    episode_id = ma.fields.UUID(required=True)
    patient_id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "draft or final"})
    performed_at = ma.fields.DateTime(required=True)
    clinician_id = ma.fields.UUID(required=True)
    amends = ma.fields.Dict(allow_none=True)
    superseded_by_id = ma.fields.UUID(allow_none=True)
    finalized_at = ma.fields.DateTime(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    findings = VerbatimList(ma.fields.Nested(FindingSchema), required=True)
    compared_with_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "The previous finalised assessment compared"}
    )
    pain = ma.fields.Dict(allow_none=True)
    thomas_test = ma.fields.Dict(allow_none=True)
    trendelenburg = ma.fields.Dict(allow_none=True)
    straight_leg_raise = ma.fields.Dict(allow_none=True)
    rom = ma.fields.List(ma.fields.Dict(), allow_none=True)
    strength = ma.fields.List(ma.fields.Dict(), allow_none=True)
    special_tests = ma.fields.List(ma.fields.Dict(), allow_none=True)
    functional = ma.fields.Dict(allow_none=True)
    running_form = ma.fields.Dict(allow_none=True)
    outcome_measures = ma.fields.Dict(allow_none=True)


AssessmentPageSchema = page_schema(AssessmentSchema, "AssessmentPage")


class ProgressQuerySchema(StrictSchema):
    metric = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))
    side = one_of(SIDES)


class ProgressPointSchema(ma.Schema):
    at = ma.fields.DateTime(required=True)
    value = ma.fields.Float(required=True)
    source = ma.fields.String(required=True, metadata={"description": "assessment or run"})
    source_id = ma.fields.UUID(required=True)


class ProgressSchema(ma.Schema):
    metric = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    better = ma.fields.String(required=True)
    side = ma.fields.String(allow_none=True)
    points = ma.fields.List(ma.fields.Nested(ProgressPointSchema), required=True)


class MetricSchema(ma.Schema):
    code = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    better = ma.fields.String(required=True, metadata={"description": "higher or lower"})
    per_side = StrictBoolean(required=True)
    source = ma.fields.String(required=True)


class MetricListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MetricSchema), required=True)
