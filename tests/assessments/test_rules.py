"""Unit tests for the assessment rules: every threshold at, just below and just above."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from clinic.assessments import reference as ref
from clinic.assessments.rules import (
    Finding,
    asymmetry_percent,
    derive_findings,
    percent_of_norm,
    round1,
)

API_EXAMPLE: dict[str, Any] = {
    "kind": "initial",
    "performed_at": "2026-11-20T09:30:00Z",
    "pain": {"rest": 1, "activity": 4, "running": 6, "location": ["lateral"]},
    "thomas_test": {
        "left": {
            "hip_extension_deg": 5,
            "knee_flexion_deg": 85,
            "hip_abduction_deg": 5,
            "result": "negative",
        },
        "right": {
            "hip_extension_deg": -10,
            "knee_flexion_deg": 70,
            "hip_abduction_deg": 20,
            "result": "positive",
        },
    },
    "trendelenburg": {
        "left": {"result": "negative", "hold_seconds": 30},
        "right": {"result": "positive", "hold_seconds": 12, "compensated": True},
    },
    "straight_leg_raise": {"left": 80, "right": 65},
    "rom": [
        {
            "joint": "hip",
            "motion": "extension",
            "side": "right",
            "mode": "passive",
            "degrees": 8,
            "painful": True,
        }
    ],
    "strength": [{"muscle_group": "hip_abductors", "side": "right", "grade": 4}],
    "special_tests": [{"test": "fadir", "side": "right", "result": "negative"}],
    "functional": {
        "plank_seconds": 40,
        "side_plank_seconds": {"left": 35, "right": 20},
        "walking_minutes_pain_free": 25,
        "single_leg_squat": {
            "left": {"reps": 10, "pain": False, "pelvic_drop": False},
            "right": {"reps": 6, "pain": True, "pelvic_drop": True},
        },
    },
    "running_form": {
        "pelvic_drop": True,
        "knee_valgus": False,
        "overstriding": True,
        "cadence_spm": 158,
    },
    "outcome_measures": {"lefs": [3, 3, 2, 4, 3, 3, 2, 2, 3, 4, 4, 3, 3, 2, 1, 2, 3, 3, 4, 4]},
    "notes": "...",
}


def codes(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(finding.code, finding.side) for finding in findings]


def only(findings: list[Finding], code: str, side: str | None = None) -> Finding:
    matches = [f for f in findings if f.code == code and f.side == side]
    assert len(matches) == 1, f"expected one {code}/{side}, got {codes(findings)}"
    return matches[0]


def absent(findings: list[Finding], code: str) -> bool:
    return all(finding.code != code for finding in findings)


def thomas(side: str = "right", **angles: Any) -> dict[str, Any]:
    return {"thomas_test": {side: angles}}


def rom(*entries: tuple[str, str, str, float]) -> dict[str, Any]:
    keys = ("motion", "side", "mode", "degrees")
    return {"rom": [{"joint": "hip", **dict(zip(keys, entry, strict=True))} for entry in entries]}


def lefs(total: int) -> list[int]:
    """20 LEFS items that sum to ``total``."""
    items = [4] * (total // 4) + ([total % 4] if total % 4 else [])
    return items + [0] * (20 - len(items))


# --- Finding ------------------------------------------------------------------------------


def test_finding_to_dict_has_the_api_keys() -> None:
    finding = Finding("hamstring.tight", "left", "abnormal", "tight", 65, "ref")
    assert finding.to_dict() == {
        "code": "hamstring.tight",
        "side": "left",
        "severity": "abnormal",
        "message": "tight",
        "value": 65,
        "reference": "ref",
    }


def test_finding_rejects_an_unknown_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        Finding("x", None, "bad", "message", None, None)


# --- Missing and malformed parts ------------------------------------------------------------


def test_empty_body_gives_no_findings() -> None:
    assert derive_findings({}) == []


def test_empty_parts_give_no_findings() -> None:
    body: dict[str, Any] = {
        "pain": {},
        "thomas_test": {},
        "trendelenburg": {},
        "straight_leg_raise": {},
        "rom": [],
        "strength": [],
        "special_tests": [],
        "functional": {},
        "running_form": {},
        "outcome_measures": {},
    }
    assert derive_findings(body) == []
    assert derive_findings(body, previous=body) == []


def test_malformed_values_are_skipped_not_raised() -> None:
    body = {
        "pain": {"rest": "high", "activity": True, "running": 11},
        "thomas_test": {"left": {"hip_extension_deg": None}, "right": "oops"},
        "straight_leg_raise": {"left": "80", "right": False},
        "rom": [None, {"motion": "extension"}, {"motion": "Bad Motion!", "side": "left"}],
        "strength": [{"muscle_group": "hip_abductors", "side": "left", "grade": "4"}],
        "functional": {"side_plank_seconds": {"left": 30}},
        "outcome_measures": {"lefs": "not a list"},
    }
    assert codes(derive_findings(body)) == [("lefs.incomplete", None)]


def test_the_api_example_gives_the_expected_codes_in_order() -> None:
    assert codes(derive_findings(API_EXAMPLE)) == [
        ("pain.nrs.rest", None),
        ("pain.nrs.activity", None),
        ("pain.nrs.running", None),
        ("thomas.normal", "left"),
        ("thomas.iliopsoas_short", "right"),
        ("thomas.rectus_femoris_short", "right"),
        ("thomas.tfl_itb_short", "right"),
        ("trendelenburg.negative", "left"),
        ("trendelenburg.hold_time", "left"),
        ("trendelenburg.positive", "right"),
        ("trendelenburg.compensated", "right"),
        ("trendelenburg.hold_time", "right"),
        ("hamstring.normal", "left"),
        ("hamstring.tight", "right"),
        ("rom.hip.extension.passive.percent_of_norm", "right"),
        ("rom.hip.extension.passive.painful", "right"),
        ("strength.hip_abductors.weak", "right"),
        ("special_test.fadir.negative", "right"),
        ("single_leg_squat.normal", "left"),
        ("single_leg_squat.pelvic_drop", "right"),
        ("single_leg_squat.pain", "right"),
        ("side_plank.asymmetry", "right"),
        ("running_form.pelvic_drop", None),
        ("running_form.overstriding", None),
        ("running_form.cadence", None),
        ("lefs.total", None),
    ]


def test_order_is_deterministic_whatever_the_list_order() -> None:
    body = copy.deepcopy(API_EXAMPLE)
    body["rom"] = [
        {"motion": motion, "side": side, "mode": mode, "degrees": 20}
        for motion in ref.HIP_MOTIONS
        for side in ("left", "right")
        for mode in ("active", "passive")
    ]
    body["strength"] = [
        {"muscle_group": group, "side": side, "grade": 4}
        for group in ("core", "hip_flexors", "hip_abductors")
        for side in ("right", "left")
    ]
    body["special_tests"] = [
        {"test": test, "side": side, "result": "positive"}
        for test in ("faber", "fadir")
        for side in ("right", "left")
    ]
    expected = codes(derive_findings(body, previous=API_EXAMPLE))
    shuffler = random.Random(7)
    for _ in range(5):
        for key in ("rom", "strength", "special_tests"):
            shuffler.shuffle(body[key])
        assert codes(derive_findings(body, previous=API_EXAMPLE)) == expected
    rom_codes = [code for code, _ in expected if code.startswith("rom.")]
    assert rom_codes[:5] == [
        "rom.hip.flexion.active.percent_of_norm",
        "rom.hip.flexion.active.percent_of_norm",
        "rom.hip.flexion.active.asymmetry",
        "rom.hip.flexion.passive.percent_of_norm",
        "rom.hip.flexion.passive.percent_of_norm",
    ]
    assert rom_codes[-1] == "rom.hip.external_rotation.passive.asymmetry"
    strength_codes = [code for code, _ in expected if code.startswith("strength.")]
    assert strength_codes[0].startswith("strength.hip_abductors.")
    assert strength_codes[-1] == "strength.core.side_difference"
    special = [(code, side) for code, side in expected if code.startswith("special_test.")]
    assert special == [
        ("special_test.fadir.positive", "left"),
        ("special_test.fadir.positive", "right"),
        ("special_test.faber.positive", "left"),
        ("special_test.faber.positive", "right"),
    ]


# --- Pain -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "none"),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_pain_scores_are_reported_with_their_band(score: int, band: str) -> None:
    finding = only(derive_findings({"pain": {"running": score}}), "pain.nrs.running")
    assert finding.severity == "info"
    assert finding.value == score
    assert f"({band})" in finding.message


def test_pain_out_of_range_is_not_reported() -> None:
    assert derive_findings({"pain": {"rest": -1, "activity": 11}}) == []


# --- Modified Thomas test -------------------------------------------------------------------


@pytest.mark.parametrize(("angle", "short"), [(-1, True), (-0.5, True), (0, False), (1, False)])
def test_thomas_hip_extension_below_zero_means_short_iliopsoas(angle: float, short: bool) -> None:
    findings = derive_findings(thomas(hip_extension_deg=angle))
    if short:
        finding = only(findings, "thomas.iliopsoas_short", "right")
        assert (finding.severity, finding.value) == ("abnormal", angle)
        assert "Kendall" in (finding.reference or "")
    else:
        assert codes(findings) == [("thomas.normal", "right")]
        assert findings[0].severity == "normal"


@pytest.mark.parametrize(("angle", "short"), [(79, True), (79.9, True), (80, False), (81, False)])
def test_thomas_knee_flexion_below_80_means_short_rectus_femoris(angle: float, short: bool) -> None:
    findings = derive_findings(thomas(knee_flexion_deg=angle))
    if short:
        finding = only(findings, "thomas.rectus_femoris_short", "right")
        assert (finding.severity, finding.value) == ("abnormal", angle)
    else:
        assert codes(findings) == [("thomas.normal", "right")]


@pytest.mark.parametrize(("angle", "short"), [(14, False), (15, False), (15.1, True), (16, True)])
def test_thomas_abduction_above_15_means_short_tfl_itb(angle: float, short: bool) -> None:
    findings = derive_findings(thomas(hip_abduction_deg=angle))
    if short:
        finding = only(findings, "thomas.tfl_itb_short", "right")
        assert (finding.severity, finding.value) == ("abnormal", angle)
        assert "Harvey" in (finding.reference or "")
    else:
        assert codes(findings) == [("thomas.normal", "right")]


def test_thomas_zero_angles_are_measured_not_missing() -> None:
    findings = derive_findings(thomas(hip_extension_deg=0, knee_flexion_deg=0, hip_abduction_deg=0))
    assert codes(findings) == [("thomas.rectus_femoris_short", "right")]
    assert findings[0].value == 0


def test_thomas_all_three_short_and_no_normal_finding() -> None:
    findings = derive_findings(
        thomas(hip_extension_deg=-10, knee_flexion_deg=70, hip_abduction_deg=20)
    )
    assert codes(findings) == [
        ("thomas.iliopsoas_short", "right"),
        ("thomas.rectus_femoris_short", "right"),
        ("thomas.tfl_itb_short", "right"),
    ]
    assert [finding.value for finding in findings] == [-10, 70, 20]


def test_thomas_normal_finding_cites_only_the_measured_angles() -> None:
    finding = only(derive_findings(thomas("left", knee_flexion_deg=85)), "thomas.normal", "left")
    assert finding.reference == ref.THOMAS_KNEE_FLEXION.citation


@pytest.mark.parametrize(("result", "severity"), [("positive", "abnormal"), ("negative", "normal")])
def test_thomas_result_without_angles_is_reported_as_the_clinicians(
    result: str, severity: str
) -> None:
    findings = derive_findings(thomas("left", result=result))
    finding = only(findings, f"thomas.{result}", "left")
    assert finding.severity == severity
    assert finding.reference == ref.CLINICIAN_RESULT_SOURCE


def test_thomas_result_that_disagrees_with_the_angles_is_flagged() -> None:
    positive_but_normal = derive_findings(thomas(hip_extension_deg=5, result="positive"))
    assert codes(positive_but_normal) == [
        ("thomas.normal", "right"),
        ("thomas.result_disagrees", "right"),
    ]
    assert positive_but_normal[1].severity == "info"
    negative_but_short = derive_findings(thomas(hip_extension_deg=-5, result="negative"))
    assert codes(negative_but_short)[-1] == ("thomas.result_disagrees", "right")
    agreeing = derive_findings(thomas(hip_extension_deg=-5, result="positive"))
    assert absent(agreeing, "thomas.result_disagrees")


# --- Trendelenburg ------------------------------------------------------------------------


def test_trendelenburg_positive_blames_the_stance_side_gluteus_medius() -> None:
    body = {"trendelenburg": {"right": {"result": "positive"}}}
    finding = only(derive_findings(body), "trendelenburg.positive", "right")
    assert finding.severity == "abnormal"
    assert "left side of the pelvis drops" in finding.message
    assert "weak right gluteus medius" in finding.message


def test_trendelenburg_negative_is_normal() -> None:
    body = {"trendelenburg": {"left": {"result": "negative"}}}
    assert only(derive_findings(body), "trendelenburg.negative", "left").severity == "normal"


def test_trendelenburg_compensated_trunk_lean_is_abnormal_even_with_a_level_pelvis() -> None:
    body = {"trendelenburg": {"left": {"result": "negative", "compensated": True}}}
    finding = only(derive_findings(body), "trendelenburg.compensated", "left")
    assert finding.severity == "abnormal"
    assert "trunk leans over the left leg" in finding.message


def test_trendelenburg_not_compensated_gives_no_compensation_finding() -> None:
    body = {"trendelenburg": {"left": {"result": "negative", "compensated": False}}}
    assert absent(derive_findings(body), "trendelenburg.compensated")


@pytest.mark.parametrize(
    ("seconds", "severity"),
    [(0, "abnormal"), (29, "abnormal"), (29.9, "abnormal"), (30, "normal"), (31, "normal")],
)
def test_trendelenburg_hold_below_30_seconds_is_short(seconds: float, severity: str) -> None:
    body = {"trendelenburg": {"right": {"hold_seconds": seconds}}}
    finding = only(derive_findings(body), "trendelenburg.hold_time", "right")
    assert (finding.severity, finding.value) == (severity, seconds)
    assert "30 s" in finding.message


# --- Hamstring length -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("angle", "code"),
    [
        (0, "hamstring.tight"),
        (69, "hamstring.tight"),
        (69.9, "hamstring.tight"),
        (70, "hamstring.normal"),
        (71, "hamstring.normal"),
    ],
)
def test_straight_leg_raise_below_70_means_tight_hamstrings(angle: float, code: str) -> None:
    finding = only(derive_findings({"straight_leg_raise": {"left": angle}}), code, "left")
    assert finding.value == angle
    assert finding.severity == ("abnormal" if code == "hamstring.tight" else "normal")
    assert finding.reference == ref.STRAIGHT_LEG_RAISE.citation


# --- Range of motion --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("motion", "degrees", "percent"),
    [
        ("extension", 30, 100.0),
        ("extension", 8, 26.7),
        ("flexion", 0, 0.0),
        ("flexion", 130, 108.3),
        ("internal_rotation", 30, 66.7),
        ("adduction", 15, 50.0),
    ],
)
def test_rom_percent_of_aaos_norm(motion: str, degrees: float, percent: float) -> None:
    findings = derive_findings(rom((motion, "left", "active", degrees)))
    finding = only(findings, f"rom.hip.{motion}.active.percent_of_norm", "left")
    assert (finding.severity, finding.value) == ("info", percent)
    assert finding.reference == ref.HIP_ROM_NORMS[motion].citation
    assert finding.reference.startswith("AAOS hip ")


def test_rom_percent_reference_names_the_norm() -> None:
    finding = derive_findings(rom(("extension", "right", "passive", 8)))[0]
    assert finding.reference == "AAOS hip extension 30 deg"


@pytest.mark.parametrize(
    ("left", "right", "percent", "severity", "lower"),
    [
        (50, 45, 10.0, "normal", "right"),  # exactly 10 % is within the limit
        (45, 50, 10.0, "normal", "left"),
        (50, 44.95, 10.1, "abnormal", "right"),
        (100, 89.9, 10.1, "abnormal", "right"),
        (50, 45.5, 9.0, "normal", "right"),
        (40, 40, 0.0, "normal", None),
        (0, 0, 0.0, "normal", None),  # no division by zero
        (0, 10, 100.0, "abnormal", "left"),
        (-5, 0, 100.0, "abnormal", "left"),  # cannot reach neutral
    ],
)
def test_rom_asymmetry_threshold(
    left: float, right: float, percent: float, severity: str, lower: str | None
) -> None:
    findings = derive_findings(
        rom(("flexion", "left", "active", left), ("flexion", "right", "active", right))
    )
    finding = only(findings, "rom.hip.flexion.active.asymmetry", lower)
    assert (finding.severity, finding.value) == (severity, percent)
    assert "10 %" in (finding.reference or "")


def test_rom_asymmetry_is_per_mode_and_needs_both_sides() -> None:
    findings = derive_findings(
        rom(
            ("extension", "left", "active", 20),
            ("extension", "right", "active", 10),
            ("extension", "left", "passive", 30),
        )
    )
    assert codes(findings) == [
        ("rom.hip.extension.active.percent_of_norm", "left"),
        ("rom.hip.extension.active.percent_of_norm", "right"),
        ("rom.hip.extension.active.asymmetry", "right"),
        ("rom.hip.extension.passive.percent_of_norm", "left"),
    ]
    assert findings[2].value == 50.0


def test_rom_painful_is_reported_per_measurement() -> None:
    body = rom(("extension", "right", "passive", 8))
    body["rom"][0]["painful"] = True
    finding = only(derive_findings(body), "rom.hip.extension.passive.painful", "right")
    assert finding.severity == "abnormal"


def test_rom_first_measurement_of_a_slot_wins() -> None:
    findings = derive_findings(
        rom(("extension", "left", "active", 15), ("extension", "left", "active", 30))
    )
    assert [finding.value for finding in findings] == [50.0]


def test_rom_other_joint_has_no_norm_but_still_gets_asymmetry() -> None:
    body = {
        "rom": [
            {
                "joint": "knee",
                "motion": "flexion",
                "side": "left",
                "mode": "active",
                "degrees": 140,
            },
            {
                "joint": "knee",
                "motion": "flexion",
                "side": "right",
                "mode": "active",
                "degrees": 120,
            },
        ]
    }
    findings = derive_findings(body)
    assert codes(findings) == [("rom.knee.flexion.active.asymmetry", "right")]
    assert findings[0].value == 14.3


def test_rom_missing_joint_means_hip() -> None:
    body = {"rom": [{"motion": "abduction", "side": "left", "mode": "active", "degrees": 45}]}
    assert codes(derive_findings(body)) == [("rom.hip.abduction.active.percent_of_norm", "left")]


# --- Arithmetic helpers -----------------------------------------------------------------------


def test_asymmetry_percent_formula() -> None:
    assert asymmetry_percent(50, 45) == 10.0
    assert asymmetry_percent(45, 50) == 10.0
    assert asymmetry_percent(0, 0) == 0.0
    assert asymmetry_percent(0, 7) == 100.0
    assert asymmetry_percent(30, 20) == 33.3


def test_percent_of_norm_and_rounding() -> None:
    assert percent_of_norm(8, ref.HIP_EXTENSION_NORM) == 26.7
    assert round1(0.25) == 0.3  # half away from zero, not banker's rounding
    assert round1(-0.04) == 0.0
    assert str(round1(-0.04)) == "0.0"
    assert round1(0.1 + 0.2) == 0.3


# --- Strength ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "code", "severity"),
    [
        (0, "weak", "abnormal"),
        (3, "weak", "abnormal"),
        (4, "weak", "abnormal"),
        (4.5, "weak", "abnormal"),
        (5, "normal", "normal"),
    ],
)
def test_mmt_below_5_is_weakness(grade: float, code: str, severity: str) -> None:
    body = {"strength": [{"muscle_group": "hip_abductors", "side": "right", "grade": grade}]}
    finding = only(derive_findings(body), f"strength.hip_abductors.{code}", "right")
    assert (finding.severity, finding.value) == (severity, grade)


@pytest.mark.parametrize(
    ("left", "right", "severity", "weaker", "difference"),
    [
        (5, 4, "abnormal", "right", 1),
        (3, 5, "abnormal", "left", 2),
        (4, 4, "normal", None, 0),
        (5, 5, "normal", None, 0),
    ],
)
def test_mmt_side_to_side_difference(
    left: int, right: int, severity: str, weaker: str | None, difference: int
) -> None:
    body = {
        "strength": [
            {"muscle_group": "hip_extensors", "side": "left", "grade": left},
            {"muscle_group": "hip_extensors", "side": "right", "grade": right},
        ]
    }
    finding = only(derive_findings(body), "strength.hip_extensors.side_difference", weaker)
    assert (finding.severity, finding.value) == (severity, difference)


def test_strength_not_per_side_has_no_side_and_no_difference() -> None:
    body = {"strength": [{"muscle_group": "core", "side": "both", "grade": 4}]}
    assert codes(derive_findings(body)) == [("strength.core.weak", None)]


# --- Special tests ----------------------------------------------------------------------------


def test_fadir_positive_with_pain_reproduced() -> None:
    body = {
        "special_tests": [
            {"test": "fadir", "side": "right", "result": "positive", "pain_reproduced": True}
        ]
    }
    finding = only(derive_findings(body), "special_test.fadir.positive", "right")
    assert finding.severity == "abnormal"
    assert "reproducing the familiar pain" in finding.message
    assert "impingement" in finding.message
    assert "Reiman" in (finding.reference or "")


def test_faber_positive_without_pain_and_negative_test() -> None:
    body = {
        "special_tests": [
            {"test": "faber", "side": "left", "result": "positive", "pain_reproduced": False},
            {"test": "faber", "side": "right", "result": "negative"},
        ]
    }
    findings = derive_findings(body)
    assert codes(findings) == [
        ("special_test.faber.positive", "left"),
        ("special_test.faber.negative", "right"),
    ]
    assert "without the familiar pain" in findings[0].message
    assert findings[1].severity == "normal"


def test_special_test_without_result_is_skipped() -> None:
    assert derive_findings({"special_tests": [{"test": "fadir", "side": "left"}]}) == []


# --- Functional tests ---------------------------------------------------------------------------


def test_single_leg_squat_signs_per_side() -> None:
    body = {
        "functional": {
            "single_leg_squat": {
                "left": {"reps": 10, "pelvic_drop": False, "knee_valgus": False, "pain": False},
                "right": {"reps": 4, "pelvic_drop": True, "knee_valgus": True, "pain": True},
            }
        }
    }
    findings = derive_findings(body)
    assert codes(findings) == [
        ("single_leg_squat.normal", "left"),
        ("single_leg_squat.pelvic_drop", "right"),
        ("single_leg_squat.knee_valgus", "right"),
        ("single_leg_squat.pain", "right"),
    ]
    assert [finding.severity for finding in findings] == ["normal"] + ["abnormal"] * 3
    assert "left side of the pelvis drops" in findings[1].message


def test_single_leg_squat_with_only_reps_gives_no_sign_findings() -> None:
    body = {"functional": {"single_leg_squat": {"left": {"reps": 10}}}}
    assert derive_findings(body) == []


@pytest.mark.parametrize(
    ("left", "right", "percent", "severity", "weaker"),
    [
        (50, 45, 10.0, "normal", "right"),
        (50, 44.95, 10.1, "abnormal", "right"),
        (35, 20, 42.9, "abnormal", "right"),
        (0, 0, 0.0, "normal", None),
        (0, 30, 100.0, "abnormal", "left"),
    ],
)
def test_side_plank_asymmetry(
    left: float, right: float, percent: float, severity: str, weaker: str | None
) -> None:
    body = {"functional": {"side_plank_seconds": {"left": left, "right": right}}}
    finding = only(derive_findings(body), "side_plank.asymmetry", weaker)
    assert (finding.severity, finding.value) == (severity, percent)


# --- Running form -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "severity"),
    [(150, "abnormal"), (169, "abnormal"), (169.5, "abnormal"), (170, "normal"), (171, "normal")],
)
def test_cadence_below_170_is_flagged(cadence: float, severity: str) -> None:
    finding = only(
        derive_findings({"running_form": {"cadence_spm": cadence}}), "running_form.cadence"
    )
    assert (finding.severity, finding.value) == (severity, cadence)
    assert "rule of thumb" in (finding.reference or "")


def test_running_form_flags() -> None:
    body = {"running_form": {"pelvic_drop": True, "knee_valgus": True, "overstriding": False}}
    assert codes(derive_findings(body)) == [
        ("running_form.pelvic_drop", None),
        ("running_form.knee_valgus", None),
    ]


def test_running_form_all_clear() -> None:
    body = {"running_form": {"pelvic_drop": False, "knee_valgus": False, "overstriding": False}}
    findings = derive_findings(body)
    assert codes(findings) == [("running_form.normal", None)]
    assert findings[0].severity == "normal"


# --- LEFS ---------------------------------------------------------------------------------------


def test_lefs_total_is_the_sum_of_20_items() -> None:
    finding = only(derive_findings(API_EXAMPLE), "lefs.total")
    assert (finding.severity, finding.value) == ("info", 58)
    assert finding.message == "LEFS 58/80."


@pytest.mark.parametrize("total", [0, 80])
def test_lefs_total_extremes(total: int) -> None:
    body = {"outcome_measures": {"lefs": lefs(total)}}
    assert only(derive_findings(body), "lefs.total").value == total


@pytest.mark.parametrize(
    ("items", "answered"),
    [([3] * 19, 19), ([3] * 19 + [5], 20), ([3] * 19 + [None], 19), ([3] * 21, 21)],
)
def test_lefs_incomplete_or_invalid_gives_no_total(items: list[Any], answered: int) -> None:
    findings = derive_findings({"outcome_measures": {"lefs": items}})
    assert codes(findings) == [("lefs.incomplete", None)]
    assert findings[0].value == answered


@pytest.mark.parametrize(
    ("before", "after", "severity", "meaning"),
    [
        (40, 48, "info", "smaller than the minimal clinically important difference"),
        (40, 49, "normal", "clinically important improvement"),
        (40, 60, "normal", "clinically important improvement"),
        (40, 40, "info", "smaller than"),
        (40, 32, "info", "smaller than"),
        (40, 31, "abnormal", "clinically important worsening"),
    ],
)
def test_lefs_change_against_the_mcid_of_9(
    before: int, after: int, severity: str, meaning: str
) -> None:
    previous = {"outcome_measures": {"lefs": lefs(before)}}
    body = {"outcome_measures": {"lefs": lefs(after)}}
    finding = only(derive_findings(body, previous), "lefs.change")
    assert (finding.severity, finding.value) == (severity, after - before)
    assert meaning in finding.message
    assert finding.reference == ref.LEFS_MCID.citation


def test_lefs_change_needs_a_complete_previous_lefs() -> None:
    body = {"outcome_measures": {"lefs": lefs(50)}}
    assert absent(derive_findings(body, previous={}), "lefs.change")
    incomplete = {"outcome_measures": {"lefs": [2] * 10}}
    assert absent(derive_findings(body, previous=incomplete), "lefs.change")
    assert absent(derive_findings(body), "lefs.change")


# --- Comparison with the previous finalised assessment --------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "severity", "change"),
    [
        (6, 4, "normal", -2.0),
        (4, 6, "abnormal", 2.0),
        (5, 5, "normal", 0.0),
        (1, 0, "normal", -1.0),
    ],
)
def test_compare_pain_lower_is_better(
    before: int, after: int, severity: str, change: float
) -> None:
    findings = derive_findings({"pain": {"running": after}}, {"pain": {"running": before}})
    finding = only(findings, "compare.pain.nrs.running")
    assert (finding.severity, finding.value) == (severity, change)
    assert finding.reference == "Previous finalised assessment (lower is better)"


@pytest.mark.parametrize(
    ("before", "after", "severity", "change"),
    [(40, 48, "normal", 8.0), (48, 40, "abnormal", -8.0), (40, 40, "normal", 0.0)],
)
def test_compare_lefs_higher_is_better(
    before: int, after: int, severity: str, change: float
) -> None:
    body = {"outcome_measures": {"lefs": lefs(after)}}
    previous = {"outcome_measures": {"lefs": lefs(before)}}
    finding = only(derive_findings(body, previous), "compare.lefs.total")
    assert (finding.severity, finding.value) == (severity, change)


def test_compare_per_side_metric_and_side() -> None:
    body = {"straight_leg_raise": {"left": 75, "right": 60}}
    previous = {"straight_leg_raise": {"left": 70, "right": 65}}
    findings = [f for f in derive_findings(body, previous) if f.code == "compare.slr"]
    assert [(f.side, f.severity, f.value) for f in findings] == [
        ("left", "normal", 5.0),
        ("right", "abnormal", -5.0),
    ]


def test_compare_thomas_abduction_lower_is_better() -> None:
    body = thomas(hip_abduction_deg=10)
    previous = thomas(hip_abduction_deg=20)
    finding = only(derive_findings(body, previous), "compare.thomas.hip_abduction", "right")
    assert (finding.severity, finding.value) == ("normal", -10.0)


def test_compare_float_noise_is_not_worse() -> None:
    body = {"functional": {"plank_seconds": 0.1 + 0.2}}
    previous = {"functional": {"plank_seconds": 0.3}}
    finding = only(derive_findings(body, previous), "compare.plank.seconds")
    assert (finding.severity, finding.value) == ("normal", 0.0)


def test_compare_trendelenburg_turning_negative_is_better() -> None:
    body = {"trendelenburg": {"right": {"result": "negative"}}}
    previous = {"trendelenburg": {"right": {"result": "positive"}}}
    finding = only(derive_findings(body, previous), "compare.trendelenburg.negative", "right")
    assert (finding.severity, finding.value) == ("normal", 1.0)


def test_compare_uses_active_rom_when_both_modes_were_measured() -> None:
    body = rom(("extension", "left", "passive", 25), ("extension", "left", "active", 15))
    previous = rom(("extension", "left", "active", 20))
    finding = only(derive_findings(body, previous), "compare.rom.hip.extension", "left")
    assert (finding.severity, finding.value) == ("abnormal", -5.0)


def test_compare_only_metrics_present_in_both() -> None:
    body = {"pain": {"rest": 2, "activity": 3}}
    previous = {"pain": {"rest": 3}, "functional": {"plank_seconds": 30}}
    compared = [code for code, _ in codes(derive_findings(body, previous)) if "compare" in code]
    assert compared == ["compare.pain.nrs.rest"]


def test_compare_zero_values_are_compared() -> None:
    body = {"pain": {"rest": 0}}
    previous = {"pain": {"rest": 0}}
    finding = only(derive_findings(body, previous), "compare.pain.nrs.rest")
    assert (finding.severity, finding.value) == ("normal", 0.0)


def test_compare_findings_follow_catalogue_order() -> None:
    body = copy.deepcopy(API_EXAMPLE)
    compared = [key for key in codes(derive_findings(body, API_EXAMPLE)) if "compare" in key[0]]
    assert compared[:4] == [
        ("compare.rom.hip.extension", "right"),
        ("compare.thomas.hip_extension", "left"),
        ("compare.thomas.hip_extension", "right"),
        ("compare.thomas.knee_flexion", "left"),
    ]
    assert compared[-1] == ("compare.running_form.cadence", None)


def test_no_previous_means_no_comparison() -> None:
    assert all(not f.code.startswith("compare.") for f in derive_findings(API_EXAMPLE))


# --- Reference table ----------------------------------------------------------------------------


def test_aaos_norms() -> None:
    assert {motion: norm.value for motion, norm in ref.HIP_ROM_NORMS.items()} == {
        "flexion": 120,
        "extension": 30,
        "abduction": 45,
        "adduction": 30,
        "internal_rotation": 45,
        "external_rotation": 45,
    }
    assert all(norm.reference_set == "AAOS" for norm in ref.HIP_ROM_NORMS.values())
    assert all(norm.unit == "deg" for norm in ref.HIP_ROM_NORMS.values())


@pytest.mark.parametrize(
    ("threshold", "below", "at", "above"),
    [
        (ref.THOMAS_HIP_EXTENSION, True, False, False),
        (ref.THOMAS_KNEE_FLEXION, True, False, False),
        (ref.THOMAS_HIP_ABDUCTION, False, False, True),
        (ref.STRAIGHT_LEG_RAISE, True, False, False),
        (ref.TRENDELENBURG_HOLD, True, False, False),
        (ref.ASYMMETRY, False, False, True),
        (ref.MMT_NORMAL_GRADE, True, False, False),
        (ref.RUNNING_CADENCE, True, False, False),
    ],
)
def test_thresholds_never_flag_their_boundary(
    threshold: ref.Threshold, below: bool, at: bool, above: bool
) -> None:
    value = threshold.value
    assert threshold.is_abnormal(value - 1) is below
    assert threshold.is_abnormal(value) is at
    assert threshold.is_abnormal(value + 1) is above


def test_reference_table_entries_have_value_unit_and_source() -> None:
    assert len(ref.REFERENCES_BY_KEY) == len(ref.REFERENCE_TABLE)
    for entry in ref.REFERENCE_TABLE:
        assert entry.unit
        assert entry.source
        assert entry.to_dict()["value"] == entry.value


def test_reference_values_requested_by_the_domain() -> None:
    assert ref.THOMAS_KNEE_FLEXION.value == 80
    assert ref.THOMAS_HIP_ABDUCTION.value == 15
    assert ref.STRAIGHT_LEG_RAISE.value == 70
    assert ref.TRENDELENBURG_HOLD.value == 30
    assert ref.ASYMMETRY.value == 10
    assert ref.LEFS_TOTAL.value == 80
    assert ref.LEFS_MCID.value == 9
    assert ref.MMT_NORMAL_GRADE.value == 5
    assert ref.ASYMMETRY.citation == (
        "Side-to-side difference > 10 %: asymmetric "
        "(IJSPT 2022 return-to-run criteria, clinic limit)"
    )


@pytest.mark.parametrize(
    ("score", "band"), [(0, "none"), (0.5, "mild"), (3, "mild"), (3.5, "moderate"), (10, "severe")]
)
def test_pain_band(score: float, band: str) -> None:
    found = ref.pain_band(score)
    assert found is not None
    assert found.label == band


def test_pain_band_out_of_range() -> None:
    assert ref.pain_band(-0.5) is None
    assert ref.pain_band(10.5) is None
