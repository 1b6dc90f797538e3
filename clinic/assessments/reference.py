"""Reference norms and thresholds used to interpret an assessment.

Every number a rule compares against lives here, once, with its unit and its source,
so that a clinician can audit the whole rule set in one place. Sources are stated as
strongly as they are and no stronger: several cut-offs are clinical conventions, and
their ``source`` says so.

Two kinds of entry:

* ``Norm``: a reference value with no cut-off of its own (e.g. the AAOS average hip
  range of motion). Rules express a measurement as a percent of it, without judging.
* ``Threshold``: a cut-off with a direction; ``is_abnormal(x)`` applies it. The
  boundary value itself is never abnormal (``below`` means strictly less than).

Everything here is pure data: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["below", "above"]


def format_number(value: float) -> str:
    """Render 30.0 as "30" and 10.5 as "10.5" for citations and messages."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}"


# UCUM annotations read badly in prose; these are the words used in messages instead.
_UNIT_WORDS = {
    "{score}": "points",
    "{grade}": "",
    "{reps}": "reps",
    "{boolean}": "",
    "{steps}/min": "steps/min",
}


def format_quantity(value: float, unit: str) -> str:
    """Render a value with its unit for people, e.g. "30 deg", "9 points", "4"."""
    word = _UNIT_WORDS.get(unit, unit)
    return f"{format_number(value)} {word}".rstrip()


@dataclass(frozen=True)
class Norm:
    """A reference value (an average or a scale bound), not a pass/fail cut-off."""

    key: str
    label: str
    value: float
    unit: str
    source: str
    reference_set: str | None = None
    short_source: str | None = None

    @property
    def citation(self) -> str:
        """Short text naming the norm, e.g. "AAOS hip extension 30 deg"."""
        prefix = f"{self.reference_set} " if self.reference_set else ""
        suffix = f" ({self.short_source})" if self.short_source else ""
        return f"{prefix}{self.label} {format_quantity(self.value, self.unit)}{suffix}"

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "kind": "norm",
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "reference_set": self.reference_set,
            "source": self.source,
        }


@dataclass(frozen=True)
class Threshold:
    """A cut-off: a measurement strictly ``below`` (or ``above``) ``value`` is abnormal."""

    key: str
    label: str
    value: float
    unit: str
    abnormal_when: Direction
    meaning: str
    source: str
    short_source: str

    def is_abnormal(self, measured: float) -> bool:
        if self.abnormal_when == "below":
            return measured < self.value
        return measured > self.value

    @property
    def citation(self) -> str:
        """Short text, e.g. "Thomas hip extension < 0 deg: short iliopsoas (Kendall 2005)"."""
        operator = "<" if self.abnormal_when == "below" else ">"
        quantity = format_quantity(self.value, self.unit)
        return f"{self.label} {operator} {quantity}: {self.meaning} ({self.short_source})"

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "kind": "threshold",
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "abnormal_when": self.abnormal_when,
            "meaning": self.meaning,
            "source": self.source,
        }


@dataclass(frozen=True)
class Band:
    """One named band of a 0-10 pain scale, inclusive at both ends."""

    label: str
    low: int
    high: int


# --- Sources --------------------------------------------------------------------------

AAOS_SOURCE = (
    "American Academy of Orthopaedic Surgeons. Joint Motion: Method of Measuring and "
    "Recording. 1965 (as tabulated in Norkin & White, Measurement of Joint Motion). "
    "Population averages, not cut-offs."
)
KENDALL_SOURCE = (
    "Kendall FP et al. Muscles: Testing and Function with Posture and Pain, 5th ed. 2005 "
    "(hip flexor length test: thigh resting on the table and knee flexed about 80 deg "
    "describe normal length)."
)
HARVEY_SOURCE = (
    "Clinical convention. 15 deg approximates the mean hip abduction angle (about 15.6 deg) "
    "of 117 elite athletes in Harvey D. Br J Sports Med 1998;32:68-70; that is a sample "
    "mean, not a validated cut-off. Kendall (2005) describes abduction drift as a sign of "
    "TFL/ITB tightness without a number."
)
SLR_SOURCE = (
    "Clinical convention: a passive straight-leg raise below about 70 deg is commonly used "
    "to classify hamstring tightness; published cut-offs vary (review: Ayala F et al. 2013). "
    "Kendall (2005) describes about 80 deg as normal hamstring length."
)
TRENDELENBURG_SOURCE = (
    "Hardcastle P, Nade S. The significance of the Trendelenburg test. J Bone Joint Surg Br "
    "1985;67(5):741-746 (single-leg stance held for 30 s)."
)
HUGENBERG_SOURCE = (
    "Hugenberg G et al. Clinical commentary: a criteria-based testing protocol for return "
    "to sport post hip arthroscopy for impingement. Int J Sports Phys Ther "
    "2022;17(6):1002-1015."
)
ASYMMETRY_SOURCE = (
    f"{HUGENBERG_SOURCE} It asks for near-full, symmetrical range of motion before "
    "straight-line running; 10 % is this clinic's operational limit for 'symmetrical' "
    "(configurable), not a number from the paper."
)
LEFS_SOURCE = (
    "Binkley JM et al. The Lower Extremity Functional Scale (LEFS). Phys Ther "
    "1999;79(4):371-383: 20 items scored 0-4, total 0-80, higher is better; minimal "
    "clinically important difference 9 points."
)
MMT_SOURCE = (
    "Medical Research Council muscle grading scale 0-5, where 5 is normal strength; "
    "Hugenberg et al. (IJSPT 2022) require 5/5 for all hip and core muscles before "
    "straight-line running."
)
MMT_DIFFERENCE_SOURCE = (
    "Clinical convention: manual muscle testing is ordinal and coarse, so any side-to-side "
    "difference of a grade or more is reported."
)
PAIN_BANDS_SOURCE = (
    "Clinical convention for the 0-10 numeric rating scale (none 0, mild 1-3, moderate 4-6, "
    "severe 7-10); population-specific cut-offs differ (e.g. Boonstra AM et al. Pain "
    "2014;155:2545-2550)."
)
CADENCE_SOURCE = (
    "Clinical rule of thumb, no validated cut-off. Heiderscheit BC et al. Med Sci Sports "
    "Exerc 2011;43(2):296-302 showed that raising cadence by 5-10 % reduces hip and knee "
    "loading."
)
OBSERVATION_SOURCE = "Observational movement analysis (clinician's judgement)"
CLINICIAN_RESULT_SOURCE = "Clinician's recorded test result"
RETURN_TO_RUN_CLINIC_SOURCE = (
    "Clinic default from DOMAIN.md section 6 (configurable by the return-to-run module)."
)

# --- Hip range of motion (AAOS) -----------------------------------------------------

ROM_REFERENCE_SET = "AAOS"
DEGREES = "deg"


def _aaos(motion: str, degrees: float) -> Norm:
    label = "hip " + motion.replace("_", " ")
    return Norm(
        key=f"rom.hip.{motion}",
        label=label,
        value=degrees,
        unit=DEGREES,
        source=AAOS_SOURCE,
        reference_set=ROM_REFERENCE_SET,
    )


HIP_FLEXION_NORM = _aaos("flexion", 120)
HIP_EXTENSION_NORM = _aaos("extension", 30)
HIP_ABDUCTION_NORM = _aaos("abduction", 45)
HIP_ADDUCTION_NORM = _aaos("adduction", 30)
HIP_INTERNAL_ROTATION_NORM = _aaos("internal_rotation", 45)
HIP_EXTERNAL_ROTATION_NORM = _aaos("external_rotation", 45)

# Keyed by the motion names used in the assessment body, in the order findings list them.
HIP_ROM_NORMS: dict[str, Norm] = {
    "flexion": HIP_FLEXION_NORM,
    "extension": HIP_EXTENSION_NORM,
    "abduction": HIP_ABDUCTION_NORM,
    "adduction": HIP_ADDUCTION_NORM,
    "internal_rotation": HIP_INTERNAL_ROTATION_NORM,
    "external_rotation": HIP_EXTERNAL_ROTATION_NORM,
}
HIP_MOTIONS: tuple[str, ...] = tuple(HIP_ROM_NORMS)

# --- Modified Thomas test ---------------------------------------------------------------

THOMAS_HIP_EXTENSION = Threshold(
    key="thomas.hip_extension",
    label="Thomas hip extension",
    value=0,
    unit=DEGREES,
    abnormal_when="below",
    meaning="thigh above horizontal, short iliopsoas",
    source=KENDALL_SOURCE,
    short_source="Kendall 2005",
)
THOMAS_KNEE_FLEXION = Threshold(
    key="thomas.knee_flexion",
    label="Thomas knee flexion",
    value=80,
    unit=DEGREES,
    abnormal_when="below",
    meaning="short rectus femoris",
    source=KENDALL_SOURCE,
    short_source="Kendall 2005",
)
THOMAS_HIP_ABDUCTION = Threshold(
    key="thomas.hip_abduction",
    label="Thomas hip abduction",
    value=15,
    unit=DEGREES,
    abnormal_when="above",
    meaning="short TFL/ITB",
    source=HARVEY_SOURCE,
    short_source="clinical convention, cf. Harvey 1998",
)

# --- Hamstring length ---------------------------------------------------------------

STRAIGHT_LEG_RAISE = Threshold(
    key="slr",
    label="Passive straight-leg raise",
    value=70,
    unit=DEGREES,
    abnormal_when="below",
    meaning="tight hamstrings",
    source=SLR_SOURCE,
    short_source="clinical convention",
)

# --- Trendelenburg ------------------------------------------------------------------

TRENDELENBURG_HOLD = Threshold(
    key="trendelenburg.hold_seconds",
    label="Trendelenburg single-leg stance",
    value=30,
    unit="s",
    abnormal_when="below",
    meaning="stance not held for the standard time",
    source=TRENDELENBURG_SOURCE,
    short_source="Hardcastle & Nade 1985",
)

# --- Side-to-side asymmetry ---------------------------------------------------------

ASYMMETRY = Threshold(
    key="asymmetry.percent",
    label="Side-to-side difference",
    value=10,
    unit="%",
    abnormal_when="above",
    meaning="asymmetric",
    source=ASYMMETRY_SOURCE,
    short_source="IJSPT 2022 return-to-run criteria, clinic limit",
)

# --- Strength (manual muscle test) ----------------------------------------------------

MMT_NORMAL_GRADE = Threshold(
    key="strength.mmt_grade",
    label="Manual muscle test grade",
    value=5,
    unit="{grade}",
    abnormal_when="below",
    meaning="weaker than normal",
    source=MMT_SOURCE,
    short_source="MRC scale; IJSPT 2022",
)
MMT_SIDE_DIFFERENCE = Threshold(
    key="strength.mmt_side_difference",
    label="MMT side-to-side difference",
    value=0,
    unit="{grade}",
    abnormal_when="above",
    meaning="one side weaker",
    source=MMT_DIFFERENCE_SOURCE,
    short_source="clinical convention",
)

# --- Running form -------------------------------------------------------------------

RUNNING_CADENCE = Threshold(
    key="running_form.cadence",
    label="Running cadence",
    value=170,
    unit="{steps}/min",
    abnormal_when="below",
    meaning="low cadence, long ground contact and higher hip load",
    source=CADENCE_SOURCE,
    short_source="clinical rule of thumb",
)

# --- Outcome measures: LEFS ---------------------------------------------------------

LEFS_ITEM_COUNT = 20
LEFS_ITEM_MAX = 4
LEFS_TOTAL = Norm(
    key="lefs.total_max",
    label="LEFS maximum total",
    value=LEFS_ITEM_COUNT * LEFS_ITEM_MAX,
    unit="{score}",
    source=LEFS_SOURCE,
    short_source="Binkley 1999",
)
LEFS_CITATION = "LEFS 0-80, higher is better (Binkley 1999)"
LEFS_MCID = Norm(
    key="lefs.mcid",
    label="LEFS minimal clinically important difference",
    value=9,
    unit="{score}",
    source=LEFS_SOURCE,
    short_source="Binkley 1999",
)

# --- Pain (numeric rating scale) --------------------------------------------------------

PAIN_NRS_MAX = 10
PAIN_NRS_BANDS: tuple[Band, ...] = (
    Band("none", 0, 0),
    Band("mild", 1, 3),
    Band("moderate", 4, 6),
    Band("severe", 7, 10),
)


PAIN_NRS_CITATION = "NRS bands none 0, mild 1-3, moderate 4-6, severe 7-10 (clinical convention)"


def pain_band(score: float) -> Band | None:
    """The band a 0-10 score falls in; a fractional score goes to the band above."""
    if score < 0 or score > PAIN_NRS_MAX:
        return None
    return next(band for band in PAIN_NRS_BANDS if score <= band.high)


# --- Return-to-run defaults (DOMAIN.md section 6) ---------------------------------------
# Kept here so the checklist and the findings cite the same numbers and sources.

RTR_WALKING_MINUTES = Threshold(
    key="rtr.walking_minutes_pain_free",
    label="Pain-free walking",
    value=30,
    unit="min",
    abnormal_when="below",
    meaning="not ready to run",
    source=RETURN_TO_RUN_CLINIC_SOURCE + " Hugenberg et al. (IJSPT 2022) use a 15-minute walk.",
    short_source="clinic default",
)
RTR_PAIN_ACTIVITY_MAX = Threshold(
    key="rtr.pain_nrs_activity",
    label="Pain NRS in daily activity",
    value=2,
    unit="{score}",
    abnormal_when="above",
    meaning="not ready to run",
    source=RETURN_TO_RUN_CLINIC_SOURCE,
    short_source="clinic default",
)
RTR_PLANK_SECONDS = Threshold(
    key="rtr.plank_seconds",
    label="Plank hold",
    value=45,
    unit="s",
    abnormal_when="below",
    meaning="not ready to run",
    source=HUGENBERG_SOURCE,
    short_source="IJSPT 2022",
)
RTR_SIDE_PLANK_SECONDS = Threshold(
    key="rtr.side_plank_seconds",
    label="Side plank hold, each side",
    value=45,
    unit="s",
    abnormal_when="below",
    meaning="not ready to run",
    source=HUGENBERG_SOURCE,
    short_source="IJSPT 2022",
)
RTR_SINGLE_LEG_SQUAT_REPS = Threshold(
    key="rtr.single_leg_squat_reps",
    label="Single-leg squats without pain or pelvic drop, each side",
    value=10,
    unit="{reps}",
    abnormal_when="below",
    meaning="not ready to run",
    source=HUGENBERG_SOURCE,
    short_source="IJSPT 2022",
)

# --- Sources for tests judged without a number -------------------------------------------

TRENDELENBURG_CITATION = (
    "Trendelenburg: pelvis dropping opposite the stance leg = weak stance-side gluteus "
    "medius (Hardcastle & Nade 1985)"
)

SPECIAL_TEST_SOURCES: dict[str, str] = {
    "fadir": (
        "Reiman MP et al. Br J Sports Med 2015;49(12):811: FADIR is sensitive but not "
        "specific for femoroacetabular impingement / labral tear"
    ),
    "faber": (
        "Reiman MP et al. Br J Sports Med 2015;49(12):811: FABER has limited diagnostic "
        "accuracy; the pain location guides interpretation"
    ),
}

# --- The whole table ------------------------------------------------------------------

REFERENCE_TABLE: tuple[Norm | Threshold, ...] = (
    *HIP_ROM_NORMS.values(),
    THOMAS_HIP_EXTENSION,
    THOMAS_KNEE_FLEXION,
    THOMAS_HIP_ABDUCTION,
    STRAIGHT_LEG_RAISE,
    TRENDELENBURG_HOLD,
    ASYMMETRY,
    MMT_NORMAL_GRADE,
    MMT_SIDE_DIFFERENCE,
    RUNNING_CADENCE,
    LEFS_TOTAL,
    LEFS_MCID,
    RTR_WALKING_MINUTES,
    RTR_PAIN_ACTIVITY_MAX,
    RTR_PLANK_SECONDS,
    RTR_SIDE_PLANK_SECONDS,
    RTR_SINGLE_LEG_SQUAT_REPS,
)
REFERENCES_BY_KEY: dict[str, Norm | Threshold] = {entry.key: entry for entry in REFERENCE_TABLE}
