"""SMART goal rules and goal evaluation (DOMAIN.md section 3).

Pure functions: no Flask, no database. Achievement statuses are codes of the FHIR
goal-achievement code system (http://terminology.hl7.org/CodeSystem/goal-achievement).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

COMPARATORS: Final = (">=", "<=", "==")
TERMS: Final = ("short", "long")
SIDES: Final = ("left", "right")
NOT_PER_SIDE: Final = (None, "both")

AchievementStatus = Literal[
    "in-progress", "improving", "worsening", "no-change", "achieved", "not-achieved"
]
IN_PROGRESS: Final = "in-progress"
IMPROVING: Final = "improving"
WORSENING: Final = "worsening"
NO_CHANGE: Final = "no-change"
ACHIEVED: Final = "achieved"
NOT_ACHIEVED: Final = "not-achieved"

# Usual horizons (DOMAIN.md section 3); outside them is a warning, never a refusal.
SHORT_TERM_DAYS: Final = (14, 28)
LONG_TERM_DAYS: Final = (42, 84)

# Values within this distance count as equal: measurements are floats.
_TOLERANCE: Final = 1e-9

Errors = dict[str, list[str]]


# --------------------------------------------------------------------------- #
# Comparing values with a target
# --------------------------------------------------------------------------- #


def satisfies(value: float, comparator: str, target: float) -> bool:
    """Whether ``value`` meets ``target`` under ``comparator`` (">=", "<=" or "==")."""
    if comparator == ">=":
        return value >= target
    if comparator == "<=":
        return value <= target
    if comparator == "==":
        return math.isclose(value, target, abs_tol=_TOLERANCE)
    raise ValueError(f"unknown comparator {comparator!r}")


def _gap(value: float, comparator: str, target: float) -> float:
    """How far ``value`` still is from meeting the target (0 once met)."""
    if comparator == ">=":
        return max(0.0, target - value)
    if comparator == "<=":
        return max(0.0, value - target)
    return abs(value - target)


# --------------------------------------------------------------------------- #
# SMART check
# --------------------------------------------------------------------------- #


def check_smart(
    goal: Mapping[str, Any],
    today: dt.date,
    long_term_goal: Mapping[str, Any] | None,
    metric_exists: Callable[[str], bool],
    metric_per_side: Callable[[str], bool],
) -> Errors:
    """Field -> messages for every part of ``goal`` that is not SMART; {} when it is.

    ``goal`` uses the API's goal fields. The caller fills ``baseline_value`` from the
    latest finalised assessment before calling. ``long_term_goal`` is the goal named by
    ``parent_goal_id`` (None when there is none or it was not found).
    """
    errors: defaultdict[str, list[str]] = defaultdict(list)
    _check_specific(goal, errors)
    _check_metric(goal, metric_exists, metric_per_side, errors)
    _check_values(goal, errors)
    _check_relevance(goal, errors)
    _check_dates(goal, today, errors)
    _check_term(goal, errors)
    _check_parent(goal, long_term_goal, errors)
    return dict(errors)


def _text(goal: Mapping[str, Any], name: str) -> str | None:
    value = goal.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _number(goal: Mapping[str, Any], name: str) -> float | None:
    value = goal.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _date(goal: Mapping[str, Any], name: str) -> dt.date | None:
    value = goal.get(name)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _check_specific(goal: Mapping[str, Any], errors: Errors) -> None:
    if _text(goal, "description") is None:
        errors["description"].append(
            "Describe what the patient should be able to do when the goal is reached."
        )


def _check_metric(
    goal: Mapping[str, Any],
    metric_exists: Callable[[str], bool],
    metric_per_side: Callable[[str], bool],
    errors: Errors,
) -> None:
    metric = _text(goal, "metric")
    if metric is None:
        errors["metric"].append("Choose the metric that measures this goal.")
        return
    if not metric_exists(metric):
        errors["metric"].append(f"Unknown metric '{metric}': choose one from the metric catalogue.")
        return
    side, per_side = goal.get("side"), metric_per_side(metric)
    if per_side and side not in SIDES:
        errors["side"].append(
            f"The metric '{metric}' is measured per side: give side 'left' or 'right'."
        )
    elif not per_side and side not in NOT_PER_SIDE:
        errors["side"].append(f"The metric '{metric}' is not measured per side: leave side empty.")


def _check_number(goal: Mapping[str, Any], name: str, missing: str, errors: Errors) -> None:
    if goal.get(name) is None:
        errors[name].append(missing)
    elif _number(goal, name) is None:
        errors[name].append("Must be a number.")


def _check_values(goal: Mapping[str, Any], errors: Errors) -> None:
    _check_number(goal, "target_value", "Give the target value to reach.", errors)
    _check_number(
        goal,
        "baseline_value",
        "No baseline could be found: give baseline_value, or finalise an assessment "
        "that measures this metric first.",
        errors,
    )
    if goal.get("comparator") not in COMPARATORS:
        errors["comparator"].append("Give a comparator: one of '>=', '<=' or '=='.")
    if _text(goal, "unit") is None:
        errors["unit"].append("Give the unit of the values (for example 'deg', 's' or 'min').")


def _check_relevance(goal: Mapping[str, Any], errors: Errors) -> None:
    if _text(goal, "rationale") is None:
        errors["rationale"].append(
            "Give a short rationale: why this goal is achievable and matters to the patient."
        )
    baseline, target = _number(goal, "baseline_value"), _number(goal, "target_value")
    comparator = goal.get("comparator")
    if baseline is None or target is None or comparator not in COMPARATORS:
        return
    if satisfies(baseline, comparator, target):
        errors["target_value"].append(
            f"The target is already met at baseline ({baseline:g} {comparator} {target:g}): "
            "set a target the patient has yet to reach."
        )


def _check_date_present(goal: Mapping[str, Any], name: str, label: str, errors: Errors) -> None:
    if goal.get(name) is None:
        errors[name].append(f"Give the {label}.")
    elif _date(goal, name) is None:
        errors[name].append("Must be a date (YYYY-MM-DD).")


def _check_dates(goal: Mapping[str, Any], today: dt.date, errors: Errors) -> None:
    _check_date_present(goal, "start_date", "start date", errors)
    _check_date_present(goal, "due_date", "due date", errors)
    start, due = _date(goal, "start_date"), _date(goal, "due_date")
    if start is not None and due is not None and due <= start:
        errors["due_date"].append("The due date must be after the start date.")
    if due is not None and due < today:
        errors["due_date"].append("The due date is already past.")


def _check_term(goal: Mapping[str, Any], errors: Errors) -> None:
    if goal.get("term") not in TERMS:
        errors["term"].append("Term must be 'short' or 'long'.")


def _check_parent(
    goal: Mapping[str, Any], long_term_goal: Mapping[str, Any] | None, errors: Errors
) -> None:
    if long_term_goal is None:
        if goal.get("parent_goal_id") is not None:
            errors["parent_goal_id"].append("The parent goal was not found in this episode.")
        return
    if goal.get("term") == "long":
        errors["parent_goal_id"].append(
            "Only a short-term goal can be a milestone of a long-term goal."
        )
    if long_term_goal.get("term") != "long":
        errors["parent_goal_id"].append("The parent goal must be a long-term goal.")
    due, parent_due = _date(goal, "due_date"), _date(long_term_goal, "due_date")
    if due is not None and parent_due is not None and due > parent_due:
        errors["due_date"].append(
            f"A milestone must be due no later than its long-term goal ({parent_due})."
        )


def smart_warnings(goal: Mapping[str, Any]) -> list[str]:
    """Soft warnings (never refusals): a horizon unusual for the goal's term."""
    start, due = _date(goal, "start_date"), _date(goal, "due_date")
    horizons = {"short": SHORT_TERM_DAYS, "long": LONG_TERM_DAYS}
    term = goal.get("term")
    if start is None or due is None or due <= start or term not in horizons:
        return []
    shortest, longest = horizons[term]
    days = (due - start).days
    if shortest <= days <= longest:
        return []
    return [
        f"A {term}-term goal usually spans {shortest // 7}-{longest // 7} weeks; "
        f"this one spans {days} days."
    ]


# --------------------------------------------------------------------------- #
# Evaluation
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class GoalEvaluation:
    current_value: float | None
    progress_percent: float | None
    achievement_status: AchievementStatus


def progress_percent(baseline: float, target: float, comparator: str, current: float) -> float:
    """Share of the way from baseline to target, 0-100, one decimal.

    Works the same for higher-is-better (>=), lower-is-better (<=) and exact (==)
    targets: progress is how much of the baseline's gap to the target has closed.
    """
    start_gap = _gap(baseline, comparator, target)
    if start_gap <= _TOLERANCE:
        return 100.0 if satisfies(current, comparator, target) else 0.0
    closed = (start_gap - _gap(current, comparator, target)) / start_gap * 100
    return round(min(100.0, max(0.0, closed)), 1)


def evaluate_goal(
    baseline: float,
    target: float,
    comparator: str,
    current: float | None,
    previous: float | None,
    due_date: dt.date,
    today: dt.date,
) -> GoalEvaluation:
    """Current value, progress and FHIR achievement status of a goal.

    ``previous`` is the value before ``current`` (the baseline is used when None).
    A goal is past due the day after its due date.
    """
    progress = None if current is None else progress_percent(baseline, target, comparator, current)
    return GoalEvaluation(
        current_value=current,
        progress_percent=progress,
        achievement_status=_achievement_status(
            baseline, target, comparator, current, previous, due_date, today
        ),
    )


def _achievement_status(
    baseline: float,
    target: float,
    comparator: str,
    current: float | None,
    previous: float | None,
    due_date: dt.date,
    today: dt.date,
) -> AchievementStatus:
    if current is not None and satisfies(current, comparator, target):
        return ACHIEVED
    if today > due_date:
        return NOT_ACHIEVED
    if current is None:
        return IN_PROGRESS
    before = baseline if previous is None else previous
    gap_now, gap_before = _gap(current, comparator, target), _gap(before, comparator, target)
    if math.isclose(gap_now, gap_before, abs_tol=_TOLERANCE):
        return NO_CHANGE
    return IMPROVING if gap_now < gap_before else WORSENING
