"""Unit tests for the SMART goal check and goal evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinic.goals.rules import (
    GoalEvaluation,
    check_smart,
    evaluate_goal,
    progress_percent,
    satisfies,
    smart_warnings,
)

TODAY = dt.date(2026, 3, 2)
PER_SIDE_METRICS = {"rom.hip.extension", "slr", "side_plank.seconds"}
METRICS = PER_SIDE_METRICS | {"pain.nrs.running", "plank.seconds", "lefs.total"}


def short_goal(**changes: Any) -> dict[str, Any]:
    goal: dict[str, Any] = {
        "term": "short",
        "description": "Extend the right hip far enough to run without a short stride",
        "metric": "rom.hip.extension",
        "side": "right",
        "baseline_value": 8,
        "target_value": 20,
        "comparator": ">=",
        "unit": "deg",
        "start_date": TODAY,
        "due_date": TODAY + dt.timedelta(days=21),
        "rationale": "Stiff hip flexors limit extension; daily stretching usually gains this.",
        "parent_goal_id": None,
    }
    goal.update(changes)
    return goal


def long_goal(**changes: Any) -> dict[str, Any]:
    goal = short_goal(
        term="long",
        metric="pain.nrs.running",
        side=None,
        baseline_value=6,
        target_value=2,
        comparator="<=",
        unit="NRS",
        due_date=TODAY + dt.timedelta(days=70),
    )
    goal.update(changes)
    return goal


def check(goal: dict[str, Any], parent: dict[str, Any] | None = None) -> dict[str, list[str]]:
    return check_smart(
        goal,
        TODAY,
        parent,
        metric_exists=METRICS.__contains__,
        metric_per_side=PER_SIDE_METRICS.__contains__,
    )


# --------------------------------------------------------------------------- #
# SMART refusals
# --------------------------------------------------------------------------- #


def test_a_smart_goal_has_no_problems() -> None:
    assert check(short_goal()) == {}
    assert check(long_goal()) == {}
    assert check(short_goal(parent_goal_id="g1"), parent=long_goal()) == {}


def test_dates_may_be_iso_strings() -> None:
    assert check(short_goal(start_date="2026-03-02", due_date="2026-03-23")) == {}


@pytest.mark.parametrize("description", [None, "", "   "])
def test_description_is_required(description: str | None) -> None:
    assert check(short_goal(description=description)) == {
        "description": ["Describe what the patient should be able to do when the goal is reached."]
    }


def test_metric_is_required() -> None:
    assert check(short_goal(metric=None, side=None)) == {
        "metric": ["Choose the metric that measures this goal."]
    }


def test_unknown_metric_is_refused() -> None:
    assert check(short_goal(metric="rom.knee.flexion")) == {
        "metric": ["Unknown metric 'rom.knee.flexion': choose one from the metric catalogue."]
    }


@pytest.mark.parametrize("side", [None, "both", "middle"])
def test_per_side_metric_needs_left_or_right(side: str | None) -> None:
    assert check(short_goal(side=side)) == {
        "side": [
            "The metric 'rom.hip.extension' is measured per side: give side 'left' or 'right'."
        ]
    }


@pytest.mark.parametrize("side", ["left", "right"])
def test_side_is_refused_for_a_metric_not_measured_per_side(side: str) -> None:
    assert check(long_goal(side=side)) == {
        "side": ["The metric 'pain.nrs.running' is not measured per side: leave side empty."]
    }


def test_side_both_is_accepted_for_a_metric_not_measured_per_side() -> None:
    assert check(long_goal(side="both")) == {}


def test_target_value_is_required_and_numeric() -> None:
    assert check(short_goal(target_value=None)) == {
        "target_value": ["Give the target value to reach."]
    }
    assert check(short_goal(target_value="20")) == {"target_value": ["Must be a number."]}
    assert check(short_goal(target_value=True)) == {"target_value": ["Must be a number."]}


@pytest.mark.parametrize("comparator", [None, "", ">", "=", "!="])
def test_comparator_must_be_one_of_three(comparator: str | None) -> None:
    assert check(short_goal(comparator=comparator)) == {
        "comparator": ["Give a comparator: one of '>=', '<=' or '=='."]
    }


@pytest.mark.parametrize("unit", [None, ""])
def test_unit_is_required(unit: str | None) -> None:
    assert check(short_goal(unit=unit)) == {
        "unit": ["Give the unit of the values (for example 'deg', 's' or 'min')."]
    }


def test_missing_baseline_says_none_could_be_found() -> None:
    assert check(short_goal(baseline_value=None)) == {
        "baseline_value": [
            "No baseline could be found: give baseline_value, or finalise an assessment "
            "that measures this metric first."
        ]
    }


def test_rationale_is_required() -> None:
    assert check(short_goal(rationale=" ")) == {
        "rationale": [
            "Give a short rationale: why this goal is achievable and matters to the patient."
        ]
    }


def test_start_and_due_dates_are_required() -> None:
    assert check(short_goal(start_date=None, due_date=None)) == {
        "start_date": ["Give the start date."],
        "due_date": ["Give the due date."],
    }
    assert check(short_goal(due_date="next month")) == {
        "due_date": ["Must be a date (YYYY-MM-DD)."]
    }


@pytest.mark.parametrize("days", [0, -1])
def test_due_date_must_be_after_start_date(days: int) -> None:
    start = TODAY + dt.timedelta(days=5)
    goal = short_goal(start_date=start, due_date=start + dt.timedelta(days=days))
    assert check(goal) == {"due_date": ["The due date must be after the start date."]}


def test_due_date_may_not_be_past() -> None:
    goal = short_goal(start_date=TODAY - dt.timedelta(days=30), due_date=TODAY - dt.timedelta(1))
    assert check(goal) == {"due_date": ["The due date is already past."]}
    assert check(short_goal(start_date=TODAY - dt.timedelta(days=20), due_date=TODAY)) == {}


@pytest.mark.parametrize(
    ("comparator", "baseline", "target", "shown"),
    [
        (">=", 20, 20, "20 >= 20"),
        (">=", 25, 20, "25 >= 20"),
        ("<=", 1, 2, "1 <= 2"),
        ("==", 0, 0, "0 == 0"),
    ],
)
def test_target_already_met_at_baseline_is_refused(
    comparator: str, baseline: float, target: float, shown: str
) -> None:
    goal = short_goal(comparator=comparator, baseline_value=baseline, target_value=target)
    assert check(goal) == {
        "target_value": [
            f"The target is already met at baseline ({shown}): "
            "set a target the patient has yet to reach."
        ]
    }


def test_target_not_met_at_baseline_is_accepted_for_lower_is_better() -> None:
    assert check(long_goal(baseline_value=3, target_value=2)) == {}


@pytest.mark.parametrize("term", [None, "medium", "Short"])
def test_term_must_be_short_or_long(term: str | None) -> None:
    assert check(short_goal(term=term)) == {"term": ["Term must be 'short' or 'long'."]}


def test_milestone_due_no_later_than_its_long_term_goal() -> None:
    parent = long_goal(due_date=TODAY + dt.timedelta(days=20))
    assert check(short_goal(parent_goal_id="g1"), parent) == {
        "due_date": ["A milestone must be due no later than its long-term goal (2026-03-22)."]
    }
    same_day = short_goal(parent_goal_id="g1", due_date=TODAY + dt.timedelta(days=20))
    assert check(same_day, parent) == {}


def test_milestone_parent_must_be_long_term() -> None:
    assert check(
        short_goal(parent_goal_id="g1"), parent=short_goal(due_date=TODAY + dt.timedelta(60))
    ) == {"parent_goal_id": ["The parent goal must be a long-term goal."]}


def test_long_term_goal_cannot_be_a_milestone() -> None:
    parent = long_goal(due_date=TODAY + dt.timedelta(days=84))
    assert check(long_goal(parent_goal_id="g1"), parent) == {
        "parent_goal_id": ["Only a short-term goal can be a milestone of a long-term goal."]
    }


def test_parent_goal_that_was_not_found_is_refused() -> None:
    assert check(short_goal(parent_goal_id="missing")) == {
        "parent_goal_id": ["The parent goal was not found in this episode."]
    }


def test_every_problem_is_reported_at_once() -> None:
    assert set(check({})) == {
        "description",
        "metric",
        "target_value",
        "baseline_value",
        "comparator",
        "unit",
        "rationale",
        "start_date",
        "due_date",
        "term",
    }


# --------------------------------------------------------------------------- #
# Soft warnings
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("term", "days", "warned"),
    [
        ("short", 13, True),
        ("short", 14, False),
        ("short", 28, False),
        ("short", 29, True),
        ("long", 41, True),
        ("long", 42, False),
        ("long", 84, False),
        ("long", 85, True),
    ],
)
def test_unusual_horizon_is_a_warning(term: str, days: int, warned: bool) -> None:
    goal = short_goal(term=term, due_date=TODAY + dt.timedelta(days=days))
    expected = {
        "short": f"A short-term goal usually spans 2-4 weeks; this one spans {days} days.",
        "long": f"A long-term goal usually spans 6-12 weeks; this one spans {days} days.",
    }[term]
    assert smart_warnings(goal) == ([expected] if warned else [])


def test_warnings_skip_goals_without_usable_dates_or_term() -> None:
    assert smart_warnings(short_goal(due_date=None)) == []
    assert smart_warnings(short_goal(term=None, due_date=TODAY + dt.timedelta(days=90))) == []


# --------------------------------------------------------------------------- #
# Evaluation
# --------------------------------------------------------------------------- #

DUE = TODAY + dt.timedelta(days=14)


def evaluate(
    baseline: float,
    target: float,
    comparator: str,
    current: float | None,
    previous: float | None = None,
    today: dt.date = TODAY,
) -> GoalEvaluation:
    return evaluate_goal(baseline, target, comparator, current, previous, DUE, today)


@pytest.mark.parametrize(
    ("current", "percent"),
    [(8, 0.0), (14, 50.0), (12, 33.3), (20, 100.0), (26, 100.0), (2, 0.0)],
)
def test_progress_for_higher_is_better(current: float, percent: float) -> None:
    assert progress_percent(8, 20, ">=", current) == percent


@pytest.mark.parametrize(
    ("current", "percent"), [(6, 0.0), (4, 50.0), (5, 25.0), (2, 100.0), (0, 100.0), (9, 0.0)]
)
def test_progress_for_lower_is_better(current: float, percent: float) -> None:
    assert progress_percent(6, 2, "<=", current) == percent


@pytest.mark.parametrize(("current", "percent"), [(5, 50.0), (-5, 50.0), (0, 100.0), (12, 0.0)])
def test_progress_for_an_exact_target(current: float, percent: float) -> None:
    assert progress_percent(10, 0, "==", current) == percent


def test_progress_when_baseline_equals_target() -> None:
    assert progress_percent(5, 5, "==", 5) == 100.0
    assert progress_percent(5, 5, "==", 6) == 0.0
    assert progress_percent(5, 5, ">=", 7) == 100.0
    assert progress_percent(5, 5, ">=", 4) == 0.0


def test_reaching_the_target_is_achieved() -> None:
    assert evaluate(8, 20, ">=", 20) == GoalEvaluation(20, 100.0, "achieved")
    assert evaluate(6, 2, "<=", 1) == GoalEvaluation(1, 100.0, "achieved")
    assert evaluate(10, 0, "==", 0.0) == GoalEvaluation(0.0, 100.0, "achieved")


def test_no_current_value_is_in_progress() -> None:
    assert evaluate(8, 20, ">=", None) == GoalEvaluation(None, None, "in-progress")


def test_closer_to_the_target_than_before_is_improving() -> None:
    assert evaluate(8, 20, ">=", 14, previous=10) == GoalEvaluation(14, 50.0, "improving")
    assert evaluate(6, 2, "<=", 4, previous=5) == GoalEvaluation(4, 50.0, "improving")


def test_further_from_the_target_than_before_is_worsening() -> None:
    assert evaluate(8, 20, ">=", 10, previous=14) == GoalEvaluation(10, 16.7, "worsening")
    assert evaluate(6, 2, "<=", 7, previous=5) == GoalEvaluation(7, 0.0, "worsening")
    assert evaluate(10, 0, "==", -6, previous=5) == GoalEvaluation(-6, 40.0, "worsening")


def test_same_as_before_is_no_change() -> None:
    assert evaluate(8, 20, ">=", 14, previous=14) == GoalEvaluation(14, 50.0, "no-change")


def test_without_a_previous_value_the_baseline_is_compared() -> None:
    assert evaluate(8, 20, ">=", 12).achievement_status == "improving"
    assert evaluate(8, 20, ">=", 8).achievement_status == "no-change"
    assert evaluate(8, 20, ">=", 6).achievement_status == "worsening"


def test_past_due_and_not_met_is_not_achieved() -> None:
    after_due = DUE + dt.timedelta(days=1)
    assert evaluate(8, 20, ">=", 14, previous=10, today=after_due) == GoalEvaluation(
        14, 50.0, "not-achieved"
    )
    assert evaluate(8, 20, ">=", None, today=after_due) == GoalEvaluation(
        None, None, "not-achieved"
    )


def test_on_the_due_date_the_goal_is_still_open() -> None:
    assert evaluate(8, 20, ">=", 14, previous=10, today=DUE).achievement_status == "improving"


def test_met_target_stays_achieved_after_the_due_date() -> None:
    after_due = DUE + dt.timedelta(days=30)
    assert evaluate(8, 20, ">=", 21, today=after_due).achievement_status == "achieved"


def test_unknown_comparator_is_an_error() -> None:
    assert satisfies(3, "<=", 3) is True
    with pytest.raises(ValueError):
        satisfies(3, ">", 2)
