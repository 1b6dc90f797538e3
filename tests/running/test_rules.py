"""Unit tests for the return-to-run criteria, the walk-run plan and load warnings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinic.running.rules import (
    PHASES,
    Criterion,
    PlanSettings,
    ReturnToRunThresholds,
    RunLog,
    RunOutcome,
    all_met,
    evaluate_return_to_run,
    get_phase,
    plan_status,
    rom_asymmetry_percent,
    run_outcome,
    shoe_replacement_due,
    single_run_spike_percent,
    training_load_warnings,
    weekly_increase_percent,
)

TODAY = dt.date(2026, 3, 2)

CODES = [
    "rtr.walking_pain_free",
    "rtr.pain_activity",
    "rtr.plank",
    "rtr.side_plank",
    "rtr.single_leg_squat",
    "rtr.trendelenburg",
    "rtr.rom_symmetry",
]


# --------------------------------------------------------------------------- #
# Return-to-run criteria
# --------------------------------------------------------------------------- #


def passing_body() -> dict[str, Any]:
    """An assessment body that meets every default criterion exactly at its threshold."""
    return {
        "pain": {"rest": 0, "activity": 2},
        "trendelenburg": {
            "left": {"result": "negative", "hold_seconds": 30},
            "right": {"result": "negative", "hold_seconds": 30},
        },
        "rom": [
            {
                "joint": "hip",
                "motion": "extension",
                "side": "left",
                "mode": "passive",
                "degrees": 20,
            },
            {
                "joint": "hip",
                "motion": "extension",
                "side": "right",
                "mode": "passive",
                "degrees": 18,
            },
        ],
        "functional": {
            "plank_seconds": 45,
            "side_plank_seconds": {"left": 45, "right": 45},
            "walking_minutes_pain_free": 30,
            "single_leg_squat": {
                "left": {"reps": 10, "pain": False, "pelvic_drop": False},
                "right": {"reps": 10, "pain": False, "pelvic_drop": False},
            },
        },
    }


def by_code(criteria: list[Criterion]) -> dict[str, Criterion]:
    return {criterion.code: criterion for criterion in criteria}


def status_of(body: dict[str, Any] | None, code: str, **thresholds: Any) -> str:
    criteria = evaluate_return_to_run(body, ReturnToRunThresholds(**thresholds))
    return by_code(criteria)[code].status


def test_body_at_every_threshold_meets_all_criteria() -> None:
    criteria = evaluate_return_to_run(passing_body())
    assert [criterion.code for criterion in criteria] == CODES
    assert {criterion.status for criterion in criteria} == {"met"}
    assert all_met(criteria) is True


@pytest.mark.parametrize("body", [None, {}])
def test_missing_body_leaves_every_criterion_not_measured(body: dict[str, Any] | None) -> None:
    criteria = evaluate_return_to_run(body)
    assert [criterion.status for criterion in criteria] == ["not_measured"] * len(CODES)
    assert all_met(criteria) is False


def test_all_met_is_false_for_no_criteria_and_for_one_gap() -> None:
    assert all_met([]) is False
    met = Criterion("a", "a", "met", {})
    assert all_met([met, Criterion("b", "b", "not_measured", {})]) is False
    assert all_met([met, Criterion("b", "b", "not_met", {})]) is False


def test_api_example_body_fails_the_measured_criteria() -> None:
    body = {
        "pain": {"rest": 1, "activity": 4, "running": 6},
        "trendelenburg": {
            "left": {"result": "negative", "hold_seconds": 30},
            "right": {"result": "positive", "hold_seconds": 12, "compensated": True},
        },
        "rom": [
            {
                "joint": "hip",
                "motion": "extension",
                "side": "right",
                "mode": "passive",
                "degrees": 8,
                "painful": True,
            },
        ],
        "functional": {
            "plank_seconds": 40,
            "side_plank_seconds": {"left": 35, "right": 20},
            "walking_minutes_pain_free": 25,
            "single_leg_squat": {
                "left": {"reps": 10, "pain": False, "pelvic_drop": False},
                "right": {"reps": 6, "pain": True, "pelvic_drop": True},
            },
        },
    }
    statuses = {c.code: c.status for c in evaluate_return_to_run(body)}
    assert statuses == {
        "rtr.walking_pain_free": "not_met",
        "rtr.pain_activity": "not_met",
        "rtr.plank": "not_met",
        "rtr.side_plank": "not_met",
        "rtr.single_leg_squat": "not_met",
        "rtr.trendelenburg": "not_met",
        "rtr.rom_symmetry": "not_measured",
    }


@pytest.mark.parametrize(("minutes", "expected"), [(29, "not_met"), (29.9, "not_met"), (30, "met")])
def test_walking_needs_thirty_pain_free_minutes(minutes: float, expected: str) -> None:
    body = {"functional": {"walking_minutes_pain_free": minutes}}
    assert status_of(body, "rtr.walking_pain_free") == expected


def test_walking_evidence_names_value_and_threshold() -> None:
    criterion = by_code(evaluate_return_to_run({"functional": {"walking_minutes_pain_free": 29}}))[
        "rtr.walking_pain_free"
    ]
    assert criterion.evidence == {"walking_minutes_pain_free": 29, "minimum": 30}
    assert criterion.label == "Walks at least 30 minutes without pain"


@pytest.mark.parametrize(("nrs", "expected"), [(0, "met"), (2, "met"), (3, "not_met")])
def test_activity_pain_must_be_at_most_two(nrs: int, expected: str) -> None:
    assert status_of({"pain": {"activity": nrs}}, "rtr.pain_activity") == expected


def test_pain_at_rest_alone_does_not_measure_activity_pain() -> None:
    assert status_of({"pain": {"rest": 0}}, "rtr.pain_activity") == "not_measured"


@pytest.mark.parametrize(("seconds", "expected"), [(44, "not_met"), (45, "met"), (90, "met")])
def test_plank_needs_forty_five_seconds(seconds: int, expected: str) -> None:
    assert status_of({"functional": {"plank_seconds": seconds}}, "rtr.plank") == expected


def test_thresholds_are_configurable() -> None:
    body = {"functional": {"plank_seconds": 45, "walking_minutes_pain_free": 30}}
    assert status_of(body, "rtr.plank", plank_seconds=60) == "not_met"
    assert status_of(body, "rtr.walking_pain_free", walking_minutes_pain_free=20) == "met"


@pytest.mark.parametrize(
    ("holds", "expected"),
    [
        ({"left": 45, "right": 45}, "met"),
        ({"left": 45, "right": 44}, "not_met"),
        ({"left": 44, "right": 45}, "not_met"),
        ({"left": 45}, "not_measured"),
        ({"left": 30}, "not_met"),
        ({}, "not_measured"),
    ],
)
def test_side_plank_needs_forty_five_seconds_each_side(
    holds: dict[str, int], expected: str
) -> None:
    body = {"functional": {"side_plank_seconds": holds}}
    assert status_of(body, "rtr.side_plank") == expected


def squat_body(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    sides = {side: result for side, result in (("left", left), ("right", right)) if result}
    return {"functional": {"single_leg_squat": sides}}


GOOD_SQUATS = {"reps": 10, "pain": False, "pelvic_drop": False}


@pytest.mark.parametrize(
    ("right", "expected"),
    [
        ({"reps": 10, "pain": False, "pelvic_drop": False}, "met"),
        ({"reps": 12, "pain": False, "pelvic_drop": False}, "met"),
        ({"reps": 9, "pain": False, "pelvic_drop": False}, "not_met"),
        ({"reps": 10, "pain": True, "pelvic_drop": False}, "not_met"),
        ({"reps": 10, "pain": False, "pelvic_drop": True}, "not_met"),
        ({"reps": 10, "pelvic_drop": False}, "not_measured"),
        ({"reps": 10, "pain": False}, "not_measured"),
        ({"pain": True}, "not_met"),
        (None, "not_measured"),
    ],
)
def test_single_leg_squats_ten_each_side_without_pain_or_pelvic_drop(
    right: dict[str, Any] | None, expected: str
) -> None:
    assert status_of(squat_body(GOOD_SQUATS, right), "rtr.single_leg_squat") == expected


def test_single_leg_squat_evidence_reports_each_side() -> None:
    body = squat_body(GOOD_SQUATS, {"reps": 9, "pain": False, "pelvic_drop": True})
    evidence = by_code(evaluate_return_to_run(body))["rtr.single_leg_squat"].evidence
    assert evidence == {
        "single_leg_squat": {
            "left": {"reps": 10, "pain": False, "pelvic_drop": False},
            "right": {"reps": 9, "pain": False, "pelvic_drop": True},
        },
        "minimum_reps": 10,
    }


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("negative", "negative", "met"),
        ("negative", "positive", "not_met"),
        ("positive", None, "not_met"),
        ("negative", None, "not_measured"),
    ],
)
def test_trendelenburg_must_be_negative_both_sides(
    left: str, right: str | None, expected: str
) -> None:
    trendelenburg = {"left": {"result": left}}
    if right is not None:
        trendelenburg["right"] = {"result": right}
    assert status_of({"trendelenburg": trendelenburg}, "rtr.trendelenburg") == expected


def rom(motion: str, side: str, degrees: float, mode: str = "active", joint: str = "hip") -> dict:
    return {"joint": joint, "motion": motion, "side": side, "mode": mode, "degrees": degrees}


@pytest.mark.parametrize(
    ("left", "right", "asymmetry", "expected"),
    [
        (40, 36, 10.0, "met"),
        (36, 40, 10.0, "met"),
        (100, 89.9, 10.1, "not_met"),
        (45, 45, 0.0, "met"),
        (0, 0, 0.0, "met"),
    ],
)
def test_rom_asymmetry_at_ten_percent_is_met_and_just_over_is_not(
    left: float, right: float, asymmetry: float, expected: str
) -> None:
    body = {
        "rom": [rom("internal_rotation", "left", left), rom("internal_rotation", "right", right)]
    }
    criterion = by_code(evaluate_return_to_run(body))["rtr.rom_symmetry"]
    assert criterion.status == expected
    assert criterion.evidence["pairs"] == [
        {
            "motion": "internal_rotation",
            "mode": "active",
            "left": left,
            "right": right,
            "asymmetry_percent": asymmetry,
        }
    ]
    assert rom_asymmetry_percent(left, right) == asymmetry


def test_rom_symmetry_needs_every_motion_measured_on_both_sides_within_limit() -> None:
    body = {
        "rom": [
            rom("flexion", "left", 120),
            rom("flexion", "right", 118),
            rom("extension", "left", 30),
            rom("extension", "right", 20),
        ]
    }
    assert status_of(body, "rtr.rom_symmetry") == "not_met"


def test_rom_pairs_only_same_motion_and_mode_on_the_hip() -> None:
    body = {
        "rom": [
            rom("flexion", "left", 120, mode="active"),
            rom("flexion", "right", 60, mode="passive"),
            rom("extension", "left", 30),
            rom("flexion", "left", 150, joint="knee"),
            rom("flexion", "right", 60, joint="knee"),
        ]
    }
    criterion = by_code(evaluate_return_to_run(body))["rtr.rom_symmetry"]
    assert criterion.status == "not_measured"
    assert criterion.evidence["pairs"] == []


def test_rom_later_measurement_of_the_same_motion_replaces_the_earlier() -> None:
    body = {
        "rom": [
            rom("abduction", "left", 45),
            rom("abduction", "right", 30),
            rom("abduction", "right", 44),
        ]
    }
    assert status_of(body, "rtr.rom_symmetry") == "met"


# --------------------------------------------------------------------------- #
# Walk-run plan
# --------------------------------------------------------------------------- #


def run(
    days_ago: int,
    pain_during: int = 1,
    pain_next_day: int | None = 0,
    *,
    phase: int | None = None,
    distance_km: float | None = None,
    pain_before: int | None = None,
) -> RunLog:
    return RunLog(
        date=TODAY - dt.timedelta(days=days_ago),
        phase=phase,
        distance_km=distance_km,
        pain_during=pain_during,
        pain_next_day=pain_next_day,
        pain_before=pain_before,
    )


def codes(notices: Any) -> list[str]:
    return [notice.code for notice in notices]


def test_phases_follow_the_trials_2023_table() -> None:
    table = [(p.number, p.walk_minutes, p.run_minutes, p.distance_km, p.rpe) for p in PHASES]
    assert table == [
        (1, 2, 3, 1.6, 3),
        (2, 2, 3, 2.4, 3),
        (3, 2, 4, 2.4, 4),
        (4, 2, 4, 3.2, 4),
        (5, 1, 4, 3.2, 5),
        (6, None, None, 3.2, 5),
    ]
    assert [p.continuous for p in PHASES] == [False] * 5 + [True]
    assert get_phase(4).distance_km == 3.2
    with pytest.raises(ValueError):
        get_phase(7)


def test_no_runs_starts_at_phase_one() -> None:
    status = plan_status([], TODAY)
    assert (status.current_phase, status.sessions_in_phase, status.next_phase) == (1, 0, 1)
    assert status.may_progress is False
    assert codes(status.reasons) == ["phase.sessions_needed"]
    assert status.may_run_today is True
    assert status.next_run_earliest is None
    assert status.warnings == ()


def test_one_session_in_a_phase_is_not_enough_to_progress() -> None:
    status = plan_status([run(4)], TODAY)
    assert (status.current_phase, status.sessions_in_phase) == (1, 1)
    assert status.may_progress is False
    assert status.next_phase == 1
    assert status.reasons[0].code == "phase.sessions_needed"
    assert status.reasons[0].message.startswith("1 more session(s) at phase 1")


def test_two_good_sessions_allow_progress_to_the_next_phase() -> None:
    status = plan_status([run(4), run(2)], TODAY)
    assert (status.current_phase, status.sessions_in_phase) == (1, 2)
    assert status.may_progress is True
    assert status.next_phase == 2
    assert status.reasons == ()
    assert status.warnings == ()


def test_run_without_phase_after_progress_counts_in_the_next_phase() -> None:
    status = plan_status([run(6), run(4), run(2)], TODAY)
    assert (status.current_phase, status.sessions_in_phase, status.may_progress) == (2, 1, False)


@pytest.mark.parametrize(("pain", "may_progress"), [(3, True), (4, False)])
def test_pain_during_three_allows_progress_and_four_holds(pain: int, may_progress: bool) -> None:
    status = plan_status([run(4), run(2, pain_during=pain)], TODAY)
    assert status.may_progress is may_progress
    assert status.current_phase == 1
    if may_progress:
        assert status.warnings == ()
    else:
        assert codes(status.reasons) == ["phase.sessions_needed", "run.pain_hold"]
        assert codes(status.warnings) == ["pain.during_above_limit"]
        assert status.next_phase == 1


@pytest.mark.parametrize(
    ("before", "next_day", "outcome"),
    [(2, 2, RunOutcome.GOOD), (2, 1, RunOutcome.GOOD), (2, 3, RunOutcome.HOLD)],
)
def test_next_day_pain_may_not_be_higher_than_before(
    before: int, next_day: int, outcome: RunOutcome
) -> None:
    assert run_outcome(run(2, pain_next_day=next_day, pain_before=before)) is outcome


def test_next_day_pain_higher_holds_and_warns() -> None:
    status = plan_status([run(4), run(2, pain_next_day=3, pain_before=2)], TODAY)
    assert status.may_progress is False
    assert codes(status.warnings) == ["pain.next_day_higher"]
    assert "3/10, higher than before the run (2/10)" in status.warnings[0].message


def test_missing_pain_before_is_taken_as_pain_free() -> None:
    assert run_outcome(run(2, pain_next_day=0)) is RunOutcome.GOOD
    assert run_outcome(run(2, pain_next_day=1)) is RunOutcome.HOLD
    assert run_outcome(run(2, pain_next_day=1), PlanSettings(assumed_pain_before=1)) is (
        RunOutcome.GOOD
    )


def test_session_without_next_day_pain_does_not_count_yet() -> None:
    status = plan_status([run(4), run(2, pain_next_day=None)], TODAY)
    assert status.sessions_in_phase == 1
    assert status.may_progress is False
    assert codes(status.reasons) == ["phase.sessions_needed", "run.next_day_pain_missing"]


def test_last_run_pending_blocks_progress_even_with_enough_sessions() -> None:
    status = plan_status([run(6), run(4), run(2, pain_next_day=None, phase=1)], TODAY)
    assert status.sessions_in_phase == 2
    assert status.may_progress is False
    assert codes(status.reasons) == ["run.next_day_pain_missing"]


def test_two_painful_runs_in_a_row_step_back_a_phase() -> None:
    runs = [
        run(12, phase=3),
        run(10, phase=3),
        run(4, pain_during=4, phase=3),
        run(2, pain_during=4, phase=3),
    ]
    status = plan_status(runs, TODAY)
    assert (status.current_phase, status.sessions_in_phase, status.next_phase) == (2, 0, 2)
    assert status.may_progress is False
    assert codes(status.warnings) == [
        "pain.during_above_limit",
        "pain.during_above_limit",
        "plan.stepped_back",
    ]
    assert (
        status.warnings[-1].message == "After the run on 2026-02-28 the plan went back to phase 2."
    )


def test_one_painful_run_then_a_good_one_resets_the_count_of_holds() -> None:
    runs = [
        run(10, phase=3),
        run(8, pain_during=4, phase=3),
        run(6, phase=3),
        run(4, pain_during=4, phase=3),
    ]
    status = plan_status(runs, TODAY)
    assert (status.current_phase, status.sessions_in_phase) == (3, 2)
    assert "plan.stepped_back" not in codes(status.warnings)


@pytest.mark.parametrize(("pain", "phase_after"), [(4, 3), (5, 2), (8, 2)])
def test_pain_five_or_more_steps_back_at_once(pain: int, phase_after: int) -> None:
    status = plan_status([run(4, phase=3), run(2, pain_during=pain)], TODAY)
    assert status.current_phase == phase_after


def test_step_back_never_goes_below_phase_one() -> None:
    status = plan_status([run(2, pain_during=6)], TODAY)
    assert (status.current_phase, status.sessions_in_phase) == (1, 0)


def test_final_phase_reports_completion_instead_of_progress() -> None:
    status = plan_status([run(4, phase=6), run(2, phase=6)], TODAY)
    assert (status.current_phase, status.may_progress, status.next_phase) == (6, False, 6)
    assert codes(status.reasons) == ["plan.complete"]
    assert codes(plan_status([run(2, phase=6)], TODAY).reasons) == ["plan.final_phase"]


def test_runs_on_consecutive_days_are_warned_about() -> None:
    status = plan_status([run(5), run(4)], TODAY)
    assert codes(status.warnings) == ["rest_day.consecutive_runs"]
    assert status.sessions_in_phase == 2
    assert plan_status([run(5), run(3)], TODAY).warnings == ()


def test_a_run_yesterday_makes_today_a_rest_day() -> None:
    status = plan_status([run(3), run(1)], TODAY)
    assert status.may_run_today is False
    assert status.next_run_earliest == TODAY + dt.timedelta(days=1)
    assert codes(status.warnings) == ["rest_day.rest_today"]


def test_a_run_two_days_ago_allows_a_run_today() -> None:
    status = plan_status([run(2)], TODAY)
    assert status.may_run_today is True
    assert status.next_run_earliest == TODAY


def test_a_run_today_means_no_second_run_today() -> None:
    status = plan_status([run(0, pain_next_day=None)], TODAY)
    assert status.may_run_today is False


def test_running_a_phase_ahead_of_plan_is_warned_about() -> None:
    status = plan_status([run(2, phase=3)], TODAY)
    assert status.current_phase == 3
    assert codes(status.warnings) == ["plan.ahead_of_plan"]
    assert "logged at phase 3, but the plan allowed phase 1" in status.warnings[0].message


def test_runs_after_today_are_ignored_and_dicts_are_accepted() -> None:
    runs = [
        {"date": TODAY - dt.timedelta(days=2), "pain_during": 1, "pain_next_day": 0, "id": "x"},
        {"date": TODAY + dt.timedelta(days=1), "pain_during": 1, "pain_next_day": 0},
    ]
    status = plan_status(runs, TODAY)
    assert status.sessions_in_phase == 1
    assert status.next_run_earliest == TODAY


def test_warnings_only_cover_the_last_seven_days() -> None:
    status = plan_status([run(10, pain_during=4), run(9), run(5), run(3)], TODAY)
    assert status.warnings == ()


@pytest.mark.parametrize(
    ("field", "value"), [("phase", 0), ("phase", 7), ("pain_during", 11), ("pain_next_day", -1)]
)
def test_run_log_rejects_impossible_values(field: str, value: int) -> None:
    values: dict[str, Any] = {"date": TODAY, "pain_during": 0, field: value}
    with pytest.raises(ValueError):
        RunLog(**values)


# --------------------------------------------------------------------------- #
# Training load
# --------------------------------------------------------------------------- #


def weeks(this_week: list[float], last_week: list[float]) -> list[RunLog]:
    """Runs on alternate days: last week's from 13 days ago, this week's from 5 days ago."""
    earlier = [run(13 - 2 * i, distance_km=km) for i, km in enumerate(last_week)]
    recent = [run(5 - 2 * i, distance_km=km) for i, km in enumerate(this_week)]
    return earlier + recent


@pytest.mark.parametrize(
    ("this_week", "increase", "warned"),
    [([5.5, 5.5], 10.0, False), ([5.5, 5.51], 10.1, True), ([5.0, 5.0], 0.0, False)],
)
def test_weekly_increase_over_ten_percent_is_warned(
    this_week: list[float], increase: float, warned: bool
) -> None:
    runs = weeks(this_week, last_week=[6.0, 4.0])
    assert weekly_increase_percent(runs, TODAY) == increase
    warnings = codes(training_load_warnings(runs, TODAY))
    assert warnings == (["load.weekly_increase"] if warned else [])


def test_weekly_increase_threshold_is_configurable() -> None:
    runs = weeks([6.0, 6.0], last_week=[6.0, 4.0])
    assert codes(training_load_warnings(runs, TODAY)) == ["load.weekly_increase"]
    assert training_load_warnings(runs, TODAY, PlanSettings(weekly_increase_percent=30)) == []


def test_weekly_increase_needs_a_previous_week_to_compare() -> None:
    runs = weeks([3.0, 3.0], last_week=[])
    assert weekly_increase_percent(runs, TODAY) is None
    assert training_load_warnings(runs, TODAY) == []


@pytest.mark.parametrize(
    ("distance", "spike", "warned"),
    [(3.3, 10.0, False), (3.303, 10.1, True), (2.0, -33.33, False)],
)
def test_single_run_more_than_ten_percent_over_the_30_day_longest_is_warned(
    distance: float, spike: float, warned: bool
) -> None:
    runs = [run(40, distance_km=9.0), run(30, distance_km=3.0), run(20, distance_km=2.0)]
    latest = run(2, distance_km=distance)
    assert single_run_spike_percent(latest, runs) == spike
    warnings = training_load_warnings([*runs, latest], TODAY)
    assert codes(warnings) == (["load.single_run_spike"] if warned else [])


def test_spike_needs_an_earlier_run_with_a_distance() -> None:
    assert single_run_spike_percent(run(2, distance_km=5.0), [run(40, distance_km=1.0)]) is None
    assert single_run_spike_percent(run(2), [run(4, distance_km=1.0)]) is None


def test_plan_status_includes_training_load_warnings() -> None:
    status = plan_status([run(20, distance_km=2.0), run(2, distance_km=2.4)], TODAY)
    assert codes(status.warnings) == ["load.single_run_spike"]
    assert status.warnings[0].message.startswith("The run on 2026-02-28 (2.4 km) was 20 % longer")


@pytest.mark.parametrize(("km", "due"), [(0, False), (479, False), (479.9, False), (480, True)])
def test_shoes_are_due_for_replacement_from_480_km(km: float, due: bool) -> None:
    assert shoe_replacement_due(km) is due


def test_shoe_threshold_is_configurable() -> None:
    assert shoe_replacement_due(600, threshold_km=800) is False
    assert shoe_replacement_due(800, threshold_km=800) is True
