"""The metric catalogue that goals and progress use, and how to read metrics from an assessment.

A metric is one number that can be tracked over time (hip extension ROM on the right,
pain during running, LEFS total, ...). Goals name a metric code and, for per-side
metrics, a side. ``extract_metric_values`` reads every assessment-sourced metric from
one assessment body (the JSON shape of API.md); run and adherence metrics come from
other modules.

Units are UCUM: ``deg``, ``s``, ``min``, ``%``, and annotations such as ``{score}``.

Pure Python, stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from clinic.assessments.reference import HIP_MOTIONS, LEFS_ITEM_COUNT, LEFS_ITEM_MAX

Better = Literal["higher", "lower"]
MetricSource = Literal["assessment", "run", "adherence"]
MetricKey = tuple[str, str | None]

SIDES: tuple[str, str] = ("left", "right")

# When a motion was measured both ways, the active value is used: it is the range the
# runner can produce and control, which is what running needs. Passive is the fallback.
ROM_MODE_PREFERENCE: tuple[str, ...] = ("active", "passive")

STRENGTH_GROUPS: tuple[str, ...] = (
    "hip_abductors",
    "hip_extensors",
    "hip_flexors",
    "hip_external_rotators",
)


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    unit: str
    better: Better
    per_side: bool
    source: MetricSource

    def improvement(self, previous: float, current: float) -> float:
        """Signed change where a positive number is always an improvement."""
        change = current - previous
        return change if self.better == "higher" else -change

    def is_worse(self, previous: float, current: float) -> bool:
        return self.improvement(previous, current) < 0

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "label": self.label,
            "unit": self.unit,
            "better": self.better,
            "per_side": self.per_side,
            "source": self.source,
        }


def _rom_metric(motion: str) -> Metric:
    words = motion.replace("_", " ")
    return Metric(
        f"rom.hip.{motion}", f"Hip {words} range of motion", "deg", "higher", True, "assessment"
    )


def _strength_metric(group: str) -> Metric:
    words = group.replace("_", " ")
    label = f"Strength of {words} (MMT grade 0-5)"
    return Metric(f"strength.{group}", label, "{grade}", "higher", True, "assessment")


# fmt: off
# Each entry: code, label / unit, better, per side, source.
METRICS: tuple[Metric, ...] = (
    *(_rom_metric(motion) for motion in HIP_MOTIONS),
    Metric("thomas.hip_extension", "Modified Thomas test: hip extension angle",
           "deg", "higher", True, "assessment"),
    Metric("thomas.knee_flexion", "Modified Thomas test: knee flexion angle",
           "deg", "higher", True, "assessment"),
    Metric("thomas.hip_abduction", "Modified Thomas test: hip abduction drift",
           "deg", "lower", True, "assessment"),
    Metric("slr", "Passive straight-leg raise",
           "deg", "higher", True, "assessment"),
    Metric("pain.nrs.rest", "Pain at rest (NRS 0-10)",
           "{score}", "lower", False, "assessment"),
    Metric("pain.nrs.activity", "Pain during daily activity (NRS 0-10)",
           "{score}", "lower", False, "assessment"),
    Metric("pain.nrs.running", "Pain during or after running (NRS 0-10)",
           "{score}", "lower", False, "assessment"),
    Metric("lefs.total", "Lower Extremity Functional Scale total (0-80)",
           "{score}", "higher", False, "assessment"),
    Metric("plank.seconds", "Plank hold",
           "s", "higher", False, "assessment"),
    Metric("side_plank.seconds", "Side plank hold",
           "s", "higher", True, "assessment"),
    Metric("walking.minutes_pain_free", "Pain-free walking",
           "min", "higher", False, "assessment"),
    *(_strength_metric(group) for group in STRENGTH_GROUPS),
    Metric("trendelenburg.negative", "Trendelenburg test negative (1 = negative, 0 = positive)",
           "{boolean}", "higher", True, "assessment"),
    Metric("single_leg_squat.reps", "Single-leg squat repetitions",
           "{reps}", "higher", True, "assessment"),
    Metric("running_form.cadence", "Running cadence (steps per minute)",
           "{steps}/min", "higher", False, "assessment"),
    Metric("run.continuous_minutes", "Continuous running",
           "min", "higher", False, "run"),
    Metric("hep.adherence_percent", "Home exercise program adherence",
           "%", "higher", False, "adherence"),
)
# fmt: on

METRICS_BY_CODE: dict[str, Metric] = {metric.code: metric for metric in METRICS}


# --- Reading values from an assessment body ---------------------------------------------


def as_number(value: object) -> float | None:
    """The value as a number, or None; booleans are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return value


def as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def lefs_total(items: object) -> int | None:
    """Sum of the 20 LEFS items, or None unless all 20 are whole numbers 0-4."""
    answers = as_list(items)
    if len(answers) != LEFS_ITEM_COUNT:
        return None
    total = 0
    for answer in answers:
        number = as_number(answer)
        if number is None or number != int(number) or not 0 <= number <= LEFS_ITEM_MAX:
            return None
        total += int(number)
    return total


def preferred_rom_values(body: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    """Hip ROM degrees per (motion, side): active when measured, otherwise passive."""
    chosen: dict[tuple[str, str], tuple[int, float]] = {}
    for entry in as_list(body.get("rom")):
        measurement = as_mapping(entry)
        motion = measurement.get("motion")
        side = measurement.get("side")
        mode = measurement.get("mode")
        degrees = as_number(measurement.get("degrees"))
        if measurement.get("joint", "hip") != "hip" or motion not in HIP_MOTIONS:
            continue
        if side not in SIDES or mode not in ROM_MODE_PREFERENCE or degrees is None:
            continue
        rank = ROM_MODE_PREFERENCE.index(mode)
        key = (motion, side)
        # The first measurement of the best-ranked mode wins.
        if key not in chosen or rank < chosen[key][0]:
            chosen[key] = (rank, degrees)
    return {key: degrees for key, (_, degrees) in chosen.items()}


def extract_metric_values(body: Mapping[str, Any]) -> dict[MetricKey, float]:
    """Every assessment metric present in one body, keyed by (metric code, side or None).

    ROM uses the active measurement when both active and passive were taken for a motion
    and side (see ``ROM_MODE_PREFERENCE``). LEFS counts only when all 20 items are given.
    Missing or malformed parts are skipped, never guessed.
    """
    values: dict[MetricKey, float] = {}

    def put(code: str, side: str | None, raw: object) -> None:
        number = as_number(raw)
        if number is not None:
            values[(code, side)] = float(number)

    for (motion, side), degrees in preferred_rom_values(body).items():
        put(f"rom.hip.{motion}", side, degrees)

    thomas = as_mapping(body.get("thomas_test"))
    slr = as_mapping(body.get("straight_leg_raise"))
    trendelenburg = as_mapping(body.get("trendelenburg"))
    functional = as_mapping(body.get("functional"))
    side_plank = as_mapping(functional.get("side_plank_seconds"))
    squats = as_mapping(functional.get("single_leg_squat"))
    for side in SIDES:
        thomas_side = as_mapping(thomas.get(side))
        put("thomas.hip_extension", side, thomas_side.get("hip_extension_deg"))
        put("thomas.knee_flexion", side, thomas_side.get("knee_flexion_deg"))
        put("thomas.hip_abduction", side, thomas_side.get("hip_abduction_deg"))
        put("slr", side, slr.get(side))
        put("side_plank.seconds", side, side_plank.get(side))
        put("single_leg_squat.reps", side, as_mapping(squats.get(side)).get("reps"))
        result = as_mapping(trendelenburg.get(side)).get("result")
        if result in ("negative", "positive"):
            put("trendelenburg.negative", side, 1 if result == "negative" else 0)

    pain = as_mapping(body.get("pain"))
    for context in ("rest", "activity", "running"):
        put(f"pain.nrs.{context}", None, pain.get(context))

    put("lefs.total", None, lefs_total(as_mapping(body.get("outcome_measures")).get("lefs")))
    put("plank.seconds", None, functional.get("plank_seconds"))
    put("walking.minutes_pain_free", None, functional.get("walking_minutes_pain_free"))
    put("running_form.cadence", None, as_mapping(body.get("running_form")).get("cadence_spm"))

    for entry in as_list(body.get("strength")):
        test = as_mapping(entry)
        group, tested_side = test.get("muscle_group"), test.get("side")
        code = f"strength.{group}"
        # The first entry for a group and side wins, as in the findings.
        if group in STRENGTH_GROUPS and tested_side in SIDES and (code, tested_side) not in values:
            put(code, tested_side, test.get("grade"))

    return values
