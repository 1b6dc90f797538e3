"""Unit tests for the metric catalogue and for reading metric values from an assessment."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.assessments.metrics import (
    METRICS,
    METRICS_BY_CODE,
    Metric,
    extract_metric_values,
    lefs_total,
)

API_CODES = (
    "rom.hip.flexion",
    "rom.hip.extension",
    "rom.hip.abduction",
    "rom.hip.adduction",
    "rom.hip.internal_rotation",
    "rom.hip.external_rotation",
    "thomas.hip_extension",
    "slr",
    "pain.nrs.rest",
    "pain.nrs.activity",
    "pain.nrs.running",
    "lefs.total",
    "plank.seconds",
    "side_plank.seconds",
    "walking.minutes_pain_free",
    "run.continuous_minutes",
    "hep.adherence_percent",
)

API_EXAMPLE: dict[str, Any] = {
    "pain": {"rest": 1, "activity": 4, "running": 6},
    "thomas_test": {
        "left": {"hip_extension_deg": 5, "knee_flexion_deg": 85, "hip_abduction_deg": 5},
        "right": {"hip_extension_deg": -10, "knee_flexion_deg": 70, "hip_abduction_deg": 20},
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
    "functional": {
        "plank_seconds": 40,
        "side_plank_seconds": {"left": 35, "right": 20},
        "walking_minutes_pain_free": 25,
        "single_leg_squat": {
            "left": {"reps": 10, "pain": False, "pelvic_drop": False},
            "right": {"reps": 6, "pain": True, "pelvic_drop": True},
        },
    },
    "running_form": {"cadence_spm": 158},
    "outcome_measures": {"lefs": [3, 3, 2, 4, 3, 3, 2, 2, 3, 4, 4, 3, 3, 2, 1, 2, 3, 3, 4, 4]},
}


def rom_entry(motion: str, side: str, mode: str, degrees: float) -> dict[str, Any]:
    return {"joint": "hip", "motion": motion, "side": side, "mode": mode, "degrees": degrees}


# --- Catalogue ----------------------------------------------------------------------------


def test_catalogue_has_every_code_the_api_names() -> None:
    assert set(API_CODES) <= set(METRICS_BY_CODE)


def test_catalogue_codes_are_unique_and_indexed() -> None:
    assert len(METRICS) == len(METRICS_BY_CODE)
    assert all(METRICS_BY_CODE[metric.code] is metric for metric in METRICS)


def test_catalogue_adds_strength_trendelenburg_and_squat_metrics() -> None:
    for code in (
        "strength.hip_abductors",
        "strength.hip_extensors",
        "trendelenburg.negative",
        "single_leg_squat.reps",
    ):
        assert METRICS_BY_CODE[code].per_side is True
        assert METRICS_BY_CODE[code].better == "higher"


@pytest.mark.parametrize(
    ("code", "unit", "better", "per_side", "source"),
    [
        ("rom.hip.extension", "deg", "higher", True, "assessment"),
        ("thomas.hip_extension", "deg", "higher", True, "assessment"),
        ("slr", "deg", "higher", True, "assessment"),
        ("pain.nrs.rest", "{score}", "lower", False, "assessment"),
        ("pain.nrs.activity", "{score}", "lower", False, "assessment"),
        ("pain.nrs.running", "{score}", "lower", False, "assessment"),
        ("lefs.total", "{score}", "higher", False, "assessment"),
        ("plank.seconds", "s", "higher", False, "assessment"),
        ("side_plank.seconds", "s", "higher", True, "assessment"),
        ("walking.minutes_pain_free", "min", "higher", False, "assessment"),
        ("run.continuous_minutes", "min", "higher", False, "run"),
        ("hep.adherence_percent", "%", "higher", False, "adherence"),
        ("strength.hip_abductors", "{grade}", "higher", True, "assessment"),
        ("thomas.hip_abduction", "deg", "lower", True, "assessment"),
    ],
)
def test_metric_definitions(code: str, unit: str, better: str, per_side: bool, source: str) -> None:
    metric = METRICS_BY_CODE[code]
    assert (metric.unit, metric.better, metric.per_side, metric.source) == (
        unit,
        better,
        per_side,
        source,
    )
    assert metric.label


def test_every_rom_metric_is_per_side_in_degrees() -> None:
    rom_metrics = [metric for metric in METRICS if metric.code.startswith("rom.hip.")]
    assert len(rom_metrics) == 6
    assert all(metric.per_side and metric.unit == "deg" for metric in rom_metrics)


def test_metric_to_dict() -> None:
    assert METRICS_BY_CODE["pain.nrs.running"].to_dict() == {
        "code": "pain.nrs.running",
        "label": "Pain during or after running (NRS 0-10)",
        "unit": "{score}",
        "better": "lower",
        "per_side": False,
        "source": "assessment",
    }


# --- Direction ----------------------------------------------------------------------------


def test_improvement_for_lower_is_better() -> None:
    pain = METRICS_BY_CODE["pain.nrs.running"]
    assert pain.improvement(previous=6, current=4) == 2
    assert pain.improvement(previous=4, current=6) == -2
    assert pain.is_worse(previous=4, current=6) is True
    assert pain.is_worse(previous=6, current=4) is False
    assert pain.is_worse(previous=5, current=5) is False


def test_improvement_for_higher_is_better() -> None:
    lefs = METRICS_BY_CODE["lefs.total"]
    assert lefs.improvement(previous=40, current=49) == 9
    assert lefs.is_worse(previous=49, current=40) is True
    assert lefs.is_worse(previous=40, current=49) is False
    assert lefs.is_worse(previous=0, current=0) is False


def test_metric_is_frozen() -> None:
    metric = Metric("x", "X", "s", "higher", False, "assessment")
    with pytest.raises(AttributeError):
        metric.code = "y"  # type: ignore[misc]


# --- LEFS total -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "total"),
    [
        ([0] * 20, 0),
        ([4] * 20, 80),
        ([3, 3, 2, 4, 3, 3, 2, 2, 3, 4, 4, 3, 3, 2, 1, 2, 3, 3, 4, 4], 58),
        ([2.0] * 20, 40),
    ],
)
def test_lefs_total(items: list[Any], total: int) -> None:
    assert lefs_total(items) == total


@pytest.mark.parametrize(
    "items",
    [
        None,
        [],
        [4] * 19,
        [4] * 21,
        [4] * 19 + [5],
        [4] * 19 + [-1],
        [4] * 19 + [2.5],
        [4] * 19 + [None],
        [4] * 19 + [True],
        [4] * 19 + ["4"],
        "4" * 20,
    ],
)
def test_lefs_total_needs_20_whole_items_from_0_to_4(items: Any) -> None:
    assert lefs_total(items) is None


# --- Extraction -------------------------------------------------------------------------------


def test_extract_from_the_api_example() -> None:
    assert extract_metric_values(API_EXAMPLE) == {
        ("rom.hip.extension", "right"): 8.0,
        ("thomas.hip_extension", "left"): 5.0,
        ("thomas.knee_flexion", "left"): 85.0,
        ("thomas.hip_abduction", "left"): 5.0,
        ("slr", "left"): 80.0,
        ("side_plank.seconds", "left"): 35.0,
        ("single_leg_squat.reps", "left"): 10.0,
        ("trendelenburg.negative", "left"): 1.0,
        ("thomas.hip_extension", "right"): -10.0,
        ("thomas.knee_flexion", "right"): 70.0,
        ("thomas.hip_abduction", "right"): 20.0,
        ("slr", "right"): 65.0,
        ("side_plank.seconds", "right"): 20.0,
        ("single_leg_squat.reps", "right"): 6.0,
        ("trendelenburg.negative", "right"): 0.0,
        ("pain.nrs.rest", None): 1.0,
        ("pain.nrs.activity", None): 4.0,
        ("pain.nrs.running", None): 6.0,
        ("lefs.total", None): 58.0,
        ("plank.seconds", None): 40.0,
        ("walking.minutes_pain_free", None): 25.0,
        ("running_form.cadence", None): 158.0,
        ("strength.hip_abductors", "right"): 4.0,
    }


def test_every_extracted_key_is_in_the_catalogue_with_the_right_sidedness() -> None:
    for code, side in extract_metric_values(API_EXAMPLE):
        metric = METRICS_BY_CODE[code]
        assert metric.source == "assessment"
        assert (side is not None) is metric.per_side


def test_extract_from_an_empty_body() -> None:
    assert extract_metric_values({}) == {}
    assert extract_metric_values({"pain": {}, "rom": [], "functional": {}}) == {}


def test_zero_values_are_kept() -> None:
    body = {
        "pain": {"rest": 0},
        "straight_leg_raise": {"left": 0},
        "functional": {"plank_seconds": 0, "side_plank_seconds": {"right": 0}},
        "rom": [rom_entry("flexion", "left", "active", 0)],
    }
    assert extract_metric_values(body) == {
        ("rom.hip.flexion", "left"): 0.0,
        ("slr", "left"): 0.0,
        ("side_plank.seconds", "right"): 0.0,
        ("pain.nrs.rest", None): 0.0,
        ("plank.seconds", None): 0.0,
    }


def test_non_numbers_are_skipped() -> None:
    body = {
        "pain": {"rest": True, "activity": "4", "running": None},
        "straight_leg_raise": {"left": float("nan"), "right": float("inf")},
        "functional": {"plank_seconds": [40]},
    }
    assert extract_metric_values(body) == {}


@pytest.mark.parametrize(
    "entries",
    [
        [("passive", 25), ("active", 15)],
        [("active", 15), ("passive", 25)],
    ],
)
def test_rom_prefers_active_over_passive(entries: list[tuple[str, float]]) -> None:
    body = {"rom": [rom_entry("extension", "left", mode, degrees) for mode, degrees in entries]}
    assert extract_metric_values(body) == {("rom.hip.extension", "left"): 15.0}


def test_rom_falls_back_to_passive() -> None:
    body = {"rom": [rom_entry("internal_rotation", "right", "passive", 30)]}
    assert extract_metric_values(body) == {("rom.hip.internal_rotation", "right"): 30.0}


def test_rom_first_measurement_of_the_preferred_mode_wins() -> None:
    body = {
        "rom": [
            rom_entry("abduction", "left", "active", 30),
            rom_entry("abduction", "left", "active", 40),
        ]
    }
    assert extract_metric_values(body) == {("rom.hip.abduction", "left"): 30.0}


def test_rom_outside_the_catalogue_is_ignored() -> None:
    body = {
        "rom": [
            {
                "joint": "knee",
                "motion": "flexion",
                "side": "left",
                "mode": "active",
                "degrees": 140,
            },
            rom_entry("circumduction", "left", "active", 10),
            rom_entry("flexion", "both", "active", 100),
            rom_entry("flexion", "left", "resisted", 100),
        ]
    }
    assert extract_metric_values(body) == {}


def test_strength_only_hip_groups_per_side_first_entry_wins() -> None:
    body = {
        "strength": [
            {"muscle_group": "hip_abductors", "side": "left", "grade": 3},
            {"muscle_group": "hip_abductors", "side": "left", "grade": 5},
            {"muscle_group": "hip_external_rotators", "side": "right", "grade": 4},
            {"muscle_group": "core", "side": "both", "grade": 4},
            {"muscle_group": "hip_flexors", "side": "both", "grade": 4},
        ]
    }
    assert extract_metric_values(body) == {
        ("strength.hip_abductors", "left"): 3.0,
        ("strength.hip_external_rotators", "right"): 4.0,
    }


@pytest.mark.parametrize(("result", "value"), [("negative", 1.0), ("positive", 0.0)])
def test_trendelenburg_negative_as_one_or_zero(result: str, value: float) -> None:
    body = {"trendelenburg": {"left": {"result": result}}}
    assert extract_metric_values(body) == {("trendelenburg.negative", "left"): value}


def test_trendelenburg_without_result_has_no_value() -> None:
    body = {"trendelenburg": {"left": {"hold_seconds": 30}}}
    assert extract_metric_values(body) == {}


def test_incomplete_lefs_has_no_total() -> None:
    body = {"outcome_measures": {"lefs": [4] * 19}}
    assert extract_metric_values(body) == {}
