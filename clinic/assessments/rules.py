"""Interpret an assessment: turn the raw body into clinical findings.

Input is a plain dict shaped like the API.md assessment body; any part may be missing.
Rules assume the body was validated upstream: a malformed entry is skipped, never
guessed at and never raised on. Every number compared against comes from
``reference.py``.

Finding codes follow two patterns:

* an interpretation names what it found, with a normal counterpart when nothing was
  found (``thomas.iliopsoas_short`` ... / ``thomas.normal``, ``hamstring.tight`` /
  ``hamstring.normal``, ``strength.<group>.weak`` / ``strength.<group>.normal``);
* a computed number names the quantity, and the severity carries the verdict
  (``rom.hip.extension.active.asymmetry``, ``trendelenburg.hold_time``,
  ``compare.<metric code>``), or is ``info`` where no norm judges it
  (``rom.hip.extension.active.percent_of_norm``, ``pain.nrs.rest``, ``lefs.total``).

Asymmetry findings carry the lower (weaker, stiffer) side, or no side when both are
equal. Findings come out in a fixed order: section by section as in the body, sides
left before right, then the comparison with the previous assessment in catalogue order.

Pure Python, stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from clinic.assessments import reference as ref
from clinic.assessments.metrics import (
    METRICS,
    METRICS_BY_CODE,
    SIDES,
    STRENGTH_GROUPS,
    MetricKey,
    as_list,
    as_mapping,
    as_number,
    extract_metric_values,
    lefs_total,
)

NORMAL = "normal"
ABNORMAL = "abnormal"
INFO = "info"
SEVERITIES = frozenset({NORMAL, ABNORMAL, INFO})

OPPOSITE_SIDE = {"left": "right", "right": "left"}
_SIDE_ORDER: dict[str | None, int] = {"left": 0, "right": 1, None: 2}
_CODE_PART = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Finding:
    code: str
    side: str | None
    severity: str
    message: str
    value: float | int | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "side": self.side,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
            "reference": self.reference,
        }


def derive_findings(
    body: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> list[Finding]:
    """All findings for one assessment body, in a deterministic order.

    ``previous`` is the body of the previous finalised assessment of the episode; when
    given, the LEFS change and a ``compare.<metric>`` finding per shared metric are added.
    """
    body = as_mapping(body)
    findings = [
        *_pain_findings(body),
        *_thomas_findings(body),
        *_trendelenburg_findings(body),
        *_hamstring_findings(body),
        *_rom_findings(body),
        *_strength_findings(body),
        *_special_test_findings(body),
        *_single_leg_squat_findings(body),
        *_side_plank_findings(body),
        *_running_form_findings(body),
        *_lefs_findings(body, previous),
    ]
    if previous is not None:
        findings.extend(_comparison_findings(body, as_mapping(previous)))
    return findings


# --- Arithmetic shared by several rules -------------------------------------------------


def round1(number: float) -> float:
    """Round to one decimal, halves away from zero (round() would give 0.2 for 0.25)."""
    rounded = Decimal(repr(number)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(rounded) + 0.0  # + 0.0 turns -0.0 into 0.0


def percent_of_norm(measured: float, norm: ref.Norm) -> float:
    return round1(measured * 100 / norm.value)


def asymmetry_percent(left: float, right: float) -> float:
    """|L - R| / max(L, R) * 100, rounded to 0.1; 0 when both sides are 0.

    The denominator uses magnitudes so that a negative reading (a hip that cannot reach
    neutral) can neither divide by zero nor flip the sign; for the usual non-negative
    values this is exactly the formula above.
    """
    larger = max(abs(left), abs(right))
    if larger == 0:
        return 0.0
    return round1(abs(left - right) * 100 / larger)


def _lower_side(left: float, right: float) -> str | None:
    if left == right:
        return None
    return "left" if left < right else "right"


def _asymmetry_finding(code: str, what: str, left: float, right: float, unit: str) -> Finding:
    # The verdict uses the rounded percent, so the number shown and the verdict agree.
    percent = asymmetry_percent(left, right)
    abnormal = ref.ASYMMETRY.is_abnormal(percent)
    lower = _lower_side(left, right)
    readings = f"left {ref.format_quantity(left, unit)}, right {ref.format_quantity(right, unit)}"
    if lower is None:
        detail = "both sides equal"
    else:
        verdict = "above" if abnormal else "within"
        limit = ref.format_number(ref.ASYMMETRY.value)
        detail = f"{lower} is {ref.format_number(percent)} % lower, {verdict} the {limit} % limit"
    return Finding(
        code=code,
        side=lower,
        severity=ABNORMAL if abnormal else NORMAL,
        message=f"{what}: {readings}; {detail}.",
        value=percent,
        reference=ref.ASYMMETRY.citation,
    )


def _words(code_part: str) -> str:
    return code_part.replace("_", " ")


def _code_part(value: object) -> str | None:
    """The value when it is safe inside a finding code (lower snake case), else None."""
    return value if isinstance(value, str) and _CODE_PART.match(value) else None


def _entry_side(value: object) -> str | None:
    """A list entry's side: left or right, None for "both" or no side."""
    return value if value in SIDES else None


def _ordered(known: tuple[str, ...], names: set[str]) -> list[str]:
    """Known names in their clinical order, then any others alphabetically."""
    return [name for name in known if name in names] + sorted(names - set(known))


# --- Pain -------------------------------------------------------------------------------

_PAIN_CONTEXTS = (
    ("rest", "at rest"),
    ("activity", "during daily activity"),
    ("running", "during or after running"),
)


def _pain_findings(body: Mapping[str, Any]) -> list[Finding]:
    pain = as_mapping(body.get("pain"))
    findings = []
    for context, when in _PAIN_CONTEXTS:
        score = as_number(pain.get(context))
        band = ref.pain_band(score) if score is not None else None
        if score is None or band is None:
            continue
        message = f"Pain {when}: {ref.format_number(score)}/10 ({band.label})."
        findings.append(
            Finding(f"pain.nrs.{context}", None, INFO, message, score, ref.PAIN_NRS_CITATION)
        )
    return findings


# --- Modified Thomas test -----------------------------------------------------------------

# (body field, finding code, threshold, what an abnormal angle suggests)
_THOMAS_RULES: tuple[tuple[str, str, ref.Threshold, str], ...] = (
    (
        "hip_extension_deg",
        "thomas.iliopsoas_short",
        ref.THOMAS_HIP_EXTENSION,
        "the thigh stays above horizontal (hip extension {angle} deg): the one-joint hip "
        "flexors (iliopsoas) look short",
    ),
    (
        "knee_flexion_deg",
        "thomas.rectus_femoris_short",
        ref.THOMAS_KNEE_FLEXION,
        "the knee bends only {angle} deg with the thigh hanging: the rectus femoris looks short",
    ),
    (
        "hip_abduction_deg",
        "thomas.tfl_itb_short",
        ref.THOMAS_HIP_ABDUCTION,
        "the thigh drifts into {angle} deg of abduction: the tensor fasciae latae / "
        "iliotibial band look short",
    ),
)


def _thomas_findings(body: Mapping[str, Any]) -> list[Finding]:
    thomas = as_mapping(body.get("thomas_test"))
    findings: list[Finding] = []
    for side in SIDES:
        if side in thomas:
            findings.extend(_thomas_side(side, as_mapping(thomas[side])))
    return findings


def _thomas_side(side: str, test: Mapping[str, Any]) -> list[Finding]:
    shortenings: list[Finding] = []
    measured: list[ref.Threshold] = []
    for field, code, threshold, suggestion in _THOMAS_RULES:
        angle = as_number(test.get(field))
        if angle is None:
            continue
        measured.append(threshold)
        if threshold.is_abnormal(angle):
            detail = suggestion.format(angle=ref.format_number(angle))
            message = f"Modified Thomas test, {side}: {detail}."
            shortenings.append(Finding(code, side, ABNORMAL, message, angle, threshold.citation))

    result = test.get("result")
    if not measured:
        # Only the clinician's verdict was recorded: report it as such.
        if result in ("positive", "negative"):
            return [_thomas_result_only(side, result)]
        return []

    findings = shortenings or [_thomas_normal(side, measured)]
    if result in ("positive", "negative") and (result == "positive") != bool(shortenings):
        findings.append(_thomas_disagreement(side, result, bool(shortenings)))
    return findings


def _thomas_normal(side: str, measured: list[ref.Threshold]) -> Finding:
    message = f"Modified Thomas test, {side}: no hip flexor shortening on the measured angles."
    citations = "; ".join(threshold.citation for threshold in measured)
    return Finding("thomas.normal", side, NORMAL, message, None, citations)


def _thomas_result_only(side: str, result: str) -> Finding:
    positive = result == "positive"
    message = (
        f"Modified Thomas test, {side}: recorded {result} by the clinician (no angles recorded)."
    )
    return Finding(
        f"thomas.{result}",
        side,
        ABNORMAL if positive else NORMAL,
        message,
        None,
        ref.CLINICIAN_RESULT_SOURCE,
    )


def _thomas_disagreement(side: str, result: str, angles_abnormal: bool) -> Finding:
    angles = "outside" if angles_abnormal else "within"
    message = (
        f"Modified Thomas test, {side}: recorded {result}, but the measured angles are "
        f"{angles} the reference; worth re-checking."
    )
    return Finding("thomas.result_disagrees", side, INFO, message, None, None)


# --- Trendelenburg ----------------------------------------------------------------------


def _trendelenburg_findings(body: Mapping[str, Any]) -> list[Finding]:
    trendelenburg = as_mapping(body.get("trendelenburg"))
    findings: list[Finding] = []
    for side in SIDES:
        if side in trendelenburg:
            findings.extend(_trendelenburg_side(side, as_mapping(trendelenburg[side])))
    return findings


def _trendelenburg_side(stance: str, test: Mapping[str, Any]) -> list[Finding]:
    """Findings for one stance leg; a positive test implicates the stance-side abductors."""
    findings: list[Finding] = []
    other = OPPOSITE_SIDE[stance]
    result = test.get("result")
    if result == "positive":
        message = (
            f"Trendelenburg positive standing on the {stance} leg: the {other} side of the "
            f"pelvis drops, pointing to a weak {stance} gluteus medius."
        )
        findings.append(
            Finding(
                "trendelenburg.positive",
                stance,
                ABNORMAL,
                message,
                None,
                ref.TRENDELENBURG_CITATION,
            )
        )
    elif result == "negative":
        message = f"Trendelenburg negative standing on the {stance} leg: the pelvis stays level."
        findings.append(
            Finding(
                "trendelenburg.negative", stance, NORMAL, message, None, ref.TRENDELENBURG_CITATION
            )
        )

    if test.get("compensated") is True:
        message = (
            f"Trendelenburg, {stance} stance: the trunk leans over the {stance} leg to keep "
            f"the pelvis level (compensated), which also points to weak {stance} hip abductors."
        )
        findings.append(
            Finding(
                "trendelenburg.compensated",
                stance,
                ABNORMAL,
                message,
                None,
                ref.TRENDELENBURG_CITATION,
            )
        )

    hold = as_number(test.get("hold_seconds"))
    if hold is not None:
        findings.append(_trendelenburg_hold(stance, hold))
    return findings


def _trendelenburg_hold(stance: str, hold: float) -> Finding:
    short = ref.TRENDELENBURG_HOLD.is_abnormal(hold)
    standard = ref.format_number(ref.TRENDELENBURG_HOLD.value)
    verdict = "short of" if short else "reached"
    held = ref.format_number(hold)
    message = f"Trendelenburg, {stance} stance: held {held} s, {verdict} the standard {standard} s."
    return Finding(
        "trendelenburg.hold_time",
        stance,
        ABNORMAL if short else NORMAL,
        message,
        hold,
        ref.TRENDELENBURG_HOLD.citation,
    )


# --- Hamstring length (straight-leg raise) ------------------------------------------------


def _hamstring_findings(body: Mapping[str, Any]) -> list[Finding]:
    slr = as_mapping(body.get("straight_leg_raise"))
    findings = []
    for side in SIDES:
        angle = as_number(slr.get(side))
        if angle is None:
            continue
        findings.append(_hamstring_finding(side, angle))
    return findings


def _hamstring_finding(side: str, angle: float) -> Finding:
    tight = ref.STRAIGHT_LEG_RAISE.is_abnormal(angle)
    verdict = "tight hamstrings" if tight else "hamstring length normal"
    message = f"Straight-leg raise, {side}: {ref.format_number(angle)} deg, {verdict}."
    return Finding(
        "hamstring.tight" if tight else "hamstring.normal",
        side,
        ABNORMAL if tight else NORMAL,
        message,
        angle,
        ref.STRAIGHT_LEG_RAISE.citation,
    )


# --- Range of motion ----------------------------------------------------------------------

_MODES = ("active", "passive")


@dataclass(frozen=True)
class _RomReading:
    degrees: float
    painful: bool


def _rom_groups(body: Mapping[str, Any]) -> dict[tuple[str, str, str], dict[str, _RomReading]]:
    """Readings per (joint, motion, mode) and side; the first entry for a slot wins."""
    groups: dict[tuple[str, str, str], dict[str, _RomReading]] = {}
    for entry in as_list(body.get("rom")):
        measurement = as_mapping(entry)
        joint = _code_part(measurement.get("joint", "hip"))
        motion = _code_part(measurement.get("motion"))
        mode = measurement.get("mode")
        side = measurement.get("side")
        degrees = as_number(measurement.get("degrees"))
        if joint is None or motion is None or mode not in _MODES or side not in SIDES:
            continue
        if degrees is None:
            continue
        readings = groups.setdefault((joint, motion, mode), {})
        readings.setdefault(side, _RomReading(degrees, measurement.get("painful") is True))
    return groups


def _rom_order(key: tuple[str, str, str]) -> tuple[bool, str, int, str, int]:
    joint, motion, mode = key
    motions = ref.HIP_MOTIONS
    motion_rank = motions.index(motion) if motion in motions else len(motions)
    return (joint != "hip", joint, motion_rank, motion, _MODES.index(mode))


def _rom_findings(body: Mapping[str, Any]) -> list[Finding]:
    groups = _rom_groups(body)
    findings: list[Finding] = []
    for key in sorted(groups, key=_rom_order):
        findings.extend(_rom_group_findings(key, groups[key]))
    return findings


def _rom_group_findings(
    key: tuple[str, str, str], readings: dict[str, _RomReading]
) -> list[Finding]:
    joint, motion, mode = key
    prefix = f"rom.{joint}.{motion}.{mode}"
    what = f"{joint.capitalize()} {_words(motion)} ({mode})"
    norm = ref.HIP_ROM_NORMS.get(motion) if joint == "hip" else None
    findings: list[Finding] = []
    for side in SIDES:
        reading = readings.get(side)
        if reading is None:
            continue
        if norm is not None:
            findings.append(_percent_of_norm_finding(prefix, what, side, reading.degrees, norm))
        if reading.painful:
            message = f"{what}, {side}: painful at end of range."
            findings.append(Finding(f"{prefix}.painful", side, ABNORMAL, message, None, None))
    if "left" in readings and "right" in readings:
        left, right = readings["left"].degrees, readings["right"].degrees
        findings.append(_asymmetry_finding(f"{prefix}.asymmetry", what, left, right, "deg"))
    return findings


def _percent_of_norm_finding(
    prefix: str, what: str, side: str, degrees: float, norm: ref.Norm
) -> Finding:
    percent = percent_of_norm(degrees, norm)
    message = (
        f"{what}, {side}: {ref.format_number(degrees)} deg, {ref.format_number(percent)} % "
        f"of the {norm.reference_set} norm ({ref.format_number(norm.value)} deg)."
    )
    return Finding(f"{prefix}.percent_of_norm", side, INFO, message, percent, norm.citation)


# --- Strength (manual muscle test) ----------------------------------------------------------

_MUSCLE_GROUP_ORDER = (*STRENGTH_GROUPS, "core")


def _strength_grades(body: Mapping[str, Any]) -> dict[str, dict[str | None, float]]:
    """MMT grade per muscle group and side (None when not per side); first entry wins."""
    grades: dict[str, dict[str | None, float]] = {}
    for entry in as_list(body.get("strength")):
        test = as_mapping(entry)
        group = _code_part(test.get("muscle_group"))
        grade = as_number(test.get("grade"))
        if group is None or grade is None:
            continue
        grades.setdefault(group, {}).setdefault(_entry_side(test.get("side")), grade)
    return grades


def _strength_findings(body: Mapping[str, Any]) -> list[Finding]:
    grades = _strength_grades(body)
    findings: list[Finding] = []
    for group in _ordered(_MUSCLE_GROUP_ORDER, set(grades)):
        by_side = grades[group]
        for side in sorted(by_side, key=_SIDE_ORDER.__getitem__):
            findings.append(_grade_finding(group, side, by_side[side]))
        if "left" in by_side and "right" in by_side:
            findings.append(_grade_difference_finding(group, by_side["left"], by_side["right"]))
    return findings


def _grade_finding(group: str, side: str | None, grade: float) -> Finding:
    weak = ref.MMT_NORMAL_GRADE.is_abnormal(grade)
    where = f", {side}" if side else ""
    verdict = "weaker than normal" if weak else "normal strength"
    message = f"{_words(group).capitalize()}{where}: MMT {ref.format_number(grade)}/5, {verdict}."
    return Finding(
        f"strength.{group}.{'weak' if weak else 'normal'}",
        side,
        ABNORMAL if weak else NORMAL,
        message,
        grade,
        ref.MMT_NORMAL_GRADE.citation,
    )


def _grade_difference_finding(group: str, left: float, right: float) -> Finding:
    difference = abs(left - right)
    uneven = ref.MMT_SIDE_DIFFERENCE.is_abnormal(difference)
    weaker = _lower_side(left, right)
    grades = f"left {ref.format_number(left)}/5, right {ref.format_number(right)}/5"
    detail = f"{weaker} weaker by {ref.format_number(difference)}" if weaker else "equal"
    return Finding(
        f"strength.{group}.side_difference",
        weaker,
        ABNORMAL if uneven else NORMAL,
        f"{_words(group).capitalize()}: {grades}, {detail}.",
        difference,
        ref.MMT_SIDE_DIFFERENCE.citation,
    )


# --- Special tests ------------------------------------------------------------------------

_SPECIAL_TEST_ORDER = ("fadir", "faber")
_SPECIAL_TEST_MEANING = {
    "fadir": (
        "compatible with an intra-articular source such as femoroacetabular impingement or "
        "a labral tear; sensitive, so weak evidence on its own"
    ),
    "faber": (
        "the hip joint, the sacroiliac joint or the iliopsoas may be involved; where the "
        "pain is felt helps tell them apart"
    ),
}


def _special_test_findings(body: Mapping[str, Any]) -> list[Finding]:
    results: dict[tuple[str, str | None], Mapping[str, Any]] = {}
    for entry in as_list(body.get("special_tests")):
        test = as_mapping(entry)
        name = _code_part(test.get("test"))
        if name is None or test.get("result") not in ("positive", "negative"):
            continue
        results.setdefault((name, _entry_side(test.get("side"))), test)

    findings = []
    names = _ordered(_SPECIAL_TEST_ORDER, {name for name, _ in results})
    for name, side in sorted(results, key=lambda k: (names.index(k[0]), _SIDE_ORDER[k[1]])):
        findings.append(_special_test_finding(name, side, results[(name, side)]))
    return findings


def _special_test_finding(name: str, side: str | None, test: Mapping[str, Any]) -> Finding:
    label = name.upper() if name in _SPECIAL_TEST_ORDER else _words(name).capitalize()
    where = f" on the {side}" if side else ""
    source = ref.SPECIAL_TEST_SOURCES.get(name)
    if test.get("result") == "negative":
        message = f"{label} negative{where}."
        return Finding(f"special_test.{name}.negative", side, NORMAL, message, None, source)

    pain = test.get("pain_reproduced")
    pain_text = ""
    if pain is True:
        pain_text = ", reproducing the familiar pain"
    elif pain is False:
        pain_text = ", without the familiar pain"
    meaning = _SPECIAL_TEST_MEANING.get(name)
    message = f"{label} positive{where}{pain_text}"
    message += f": {meaning}." if meaning else "."
    return Finding(f"special_test.{name}.positive", side, ABNORMAL, message, None, source)


# --- Functional tests -----------------------------------------------------------------------

# (body flag, what a present sign means; {side} is the squatting leg, {other} the opposite)
_SQUAT_SIGNS = (
    ("pelvic_drop", "the {other} side of the pelvis drops, pointing to weak {side} hip abductors"),
    ("knee_valgus", "the {side} knee collapses inward (dynamic knee valgus)"),
    ("pain", "squatting on the {side} leg is painful"),
)


def _single_leg_squat_findings(body: Mapping[str, Any]) -> list[Finding]:
    squats = as_mapping(as_mapping(body.get("functional")).get("single_leg_squat"))
    findings: list[Finding] = []
    for side in SIDES:
        squat = as_mapping(squats.get(side))
        recorded = [flag for flag, _ in _SQUAT_SIGNS if isinstance(squat.get(flag), bool)]
        present = [(flag, text) for flag, text in _SQUAT_SIGNS if squat.get(flag) is True]
        for flag, text in present:
            detail = text.format(side=side, other=OPPOSITE_SIDE[side])
            message = f"Single-leg squat, {side}: {detail}."
            findings.append(
                Finding(
                    f"single_leg_squat.{flag}",
                    side,
                    ABNORMAL,
                    message,
                    None,
                    ref.OBSERVATION_SOURCE,
                )
            )
        if recorded and not present:
            message = f"Single-leg squat, {side}: controlled and pain-free."
            findings.append(
                Finding(
                    "single_leg_squat.normal", side, NORMAL, message, None, ref.OBSERVATION_SOURCE
                )
            )
    return findings


def _side_plank_findings(body: Mapping[str, Any]) -> list[Finding]:
    holds = as_mapping(as_mapping(body.get("functional")).get("side_plank_seconds"))
    left, right = as_number(holds.get("left")), as_number(holds.get("right"))
    if left is None or right is None:
        return []
    return [_asymmetry_finding("side_plank.asymmetry", "Side plank hold", left, right, "s")]


# --- Running form -----------------------------------------------------------------------

_RUNNING_SIGNS = (
    ("pelvic_drop", "the pelvis drops on the swing side, a sign of weak hip abductors"),
    ("knee_valgus", "the knee collapses inward during stance"),
    ("overstriding", "the foot lands well ahead of the body, which raises braking and hip load"),
)


def _running_form_findings(body: Mapping[str, Any]) -> list[Finding]:
    form = as_mapping(body.get("running_form"))
    findings: list[Finding] = []
    recorded = [flag for flag, _ in _RUNNING_SIGNS if isinstance(form.get(flag), bool)]
    present = [(flag, text) for flag, text in _RUNNING_SIGNS if form.get(flag) is True]
    for flag, text in present:
        findings.append(
            Finding(
                f"running_form.{flag}",
                None,
                ABNORMAL,
                f"Running form: {text}.",
                None,
                ref.OBSERVATION_SOURCE,
            )
        )
    if recorded and not present:
        message = "Running form: no pelvic drop, knee valgus or overstriding seen."
        findings.append(
            Finding("running_form.normal", None, NORMAL, message, None, ref.OBSERVATION_SOURCE)
        )

    cadence = as_number(form.get("cadence_spm"))
    if cadence is not None:
        findings.append(_cadence_finding(cadence))
    return findings


def _cadence_finding(cadence: float) -> Finding:
    low = ref.RUNNING_CADENCE.is_abnormal(cadence)
    rule = ref.format_number(ref.RUNNING_CADENCE.value)
    verdict = f"below the {rule} steps/min rule of thumb" if low else f"at or above {rule}"
    message = f"Running cadence {ref.format_number(cadence)} steps/min, {verdict}."
    return Finding(
        "running_form.cadence",
        None,
        ABNORMAL if low else NORMAL,
        message,
        cadence,
        ref.RUNNING_CADENCE.citation,
    )


# --- LEFS -------------------------------------------------------------------------------


def _lefs_items(body: Mapping[str, Any]) -> object:
    return as_mapping(body.get("outcome_measures")).get("lefs")


def _lefs_findings(body: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[Finding]:
    items = _lefs_items(body)
    if items is None:
        return []
    total = lefs_total(items)
    if total is None:
        answered = sum(1 for item in as_list(items) if as_number(item) is not None)
        message = (
            f"LEFS incomplete: {answered} of {ref.LEFS_ITEM_COUNT} items answered, "
            "no total computed."
        )
        return [Finding("lefs.incomplete", None, INFO, message, answered, ref.LEFS_CITATION)]

    maximum = ref.format_number(ref.LEFS_TOTAL.value)
    findings = [
        Finding("lefs.total", None, INFO, f"LEFS {total}/{maximum}.", total, ref.LEFS_CITATION)
    ]
    previous_total = lefs_total(_lefs_items(as_mapping(previous))) if previous else None
    if previous_total is not None:
        findings.append(_lefs_change_finding(previous_total, total))
    return findings


def _lefs_change_finding(previous_total: int, total: int) -> Finding:
    change = total - previous_total
    mcid = ref.LEFS_MCID.value
    if change >= mcid:
        severity, meaning = NORMAL, "a clinically important improvement"
    elif change <= -mcid:
        severity, meaning = ABNORMAL, "a clinically important worsening"
    else:
        severity, meaning = INFO, "smaller than the minimal clinically important difference"
    message = (
        f"LEFS {previous_total} -> {total} ({change:+d} points): {meaning} "
        f"({ref.format_number(mcid)} points)."
    )
    return Finding("lefs.change", None, severity, message, change, ref.LEFS_MCID.citation)


# --- Comparison with the previous finalised assessment -------------------------------------

_METRIC_RANK = {metric.code: rank for rank, metric in enumerate(METRICS)}


def _metric_order(key: MetricKey) -> tuple[int, int]:
    code, side = key
    return (_METRIC_RANK[code], _SIDE_ORDER[side])


def _comparison_findings(body: Mapping[str, Any], previous: Mapping[str, Any]) -> list[Finding]:
    now = extract_metric_values(body)
    before = extract_metric_values(previous)
    shared = sorted(now.keys() & before.keys(), key=_metric_order)
    return [_comparison_finding(key, before[key], now[key]) for key in shared]


def _comparison_finding(key: MetricKey, before: float, now: float) -> Finding:
    code, side = key
    metric = METRICS_BY_CODE[code]
    # Judge the rounded change so that float noise never reads as "worse".
    change = round1(now - before)
    improvement = metric.improvement(0.0, change)
    if change == 0:
        verdict = "unchanged"
    elif improvement > 0:
        verdict = "better"
    else:
        verdict = "worse"
    where = f", {side}" if side else ""
    message = (
        f"{metric.label}{where}: {ref.format_number(before)} -> "
        f"{ref.format_quantity(now, metric.unit)} ({change:+g}), {verdict}."
    )
    return Finding(
        f"compare.{code}",
        side,
        ABNORMAL if improvement < 0 else NORMAL,
        message,
        change,
        f"Previous finalised assessment ({metric.better} is better)",
    )
