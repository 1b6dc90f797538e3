"""SMART goal use cases: set, list, read, update, re-evaluate; the facts the workflow needs.

A goal's values come from the metric's source (``Metric.source``): finalised assessments,
logged runs (``clinic.running.service.latest_run_metric``) or home-program adherence
(``clinic.portal.service.adherence_percent``). The last two are asked lazily, and count as
"not measured" while those capabilities do not answer yet.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from clinic.assessments.metrics import METRICS_BY_CODE, SIDES, Metric
from clinic.core import audit
from clinic.core.changes import CREATED, UPDATED, record_change
from clinic.core.errors import conflict, not_found, validation_problem
from clinic.core.etag import require_if_match
from clinic.core.models import utcnow
from clinic.core.pagination import Page, keyset_page
from clinic.core.principal import Principal
from clinic.episodes.service import find_episode, find_open_episode
from clinic.extensions import db
from clinic.goals import rules
from clinic.goals.models import Goal

RESOURCE = "goal"

PROPOSED = "proposed"
ACTIVE = "active"
ON_HOLD = "on-hold"
COMPLETED = "completed"
CANCELLED = "cancelled"
FINAL_LIFECYCLE = (COMPLETED, CANCELLED)
LIFECYCLE_MOVES: dict[str, tuple[str, ...]] = {
    PROPOSED: (ACTIVE, CANCELLED),
    ACTIVE: (ON_HOLD, COMPLETED, CANCELLED),
    ON_HOLD: (ACTIVE, CANCELLED),
    COMPLETED: (),
    CANCELLED: (),
}
# Achievement statuses that describe a trend rather than an outcome.
TRENDS = (rules.IMPROVING, rules.WORSENING, rules.NO_CHANGE)
RESOLVED = (rules.ACHIEVED, rules.NOT_ACHIEVED)
ADHERENCE_WINDOW_DAYS = 28

FIELDS = (
    "id",
    "episode_id",
    "patient_id",
    "term",
    "description",
    "metric",
    "side",
    "baseline_value",
    "target_value",
    "comparator",
    "unit",
    "start_date",
    "due_date",
    "rationale",
    "parent_goal_id",
    "lifecycle_status",
    "achievement_status",
    "current_value",
    "progress_percent",
    "evaluated_at",
    "version",
    "created_at",
    "updated_at",
)


def _today() -> date:
    return utcnow().date()


# --- Views --------------------------------------------------------------------------------


def _smart_fields(goal: Goal) -> dict[str, Any]:
    """The goal as the rules read it."""
    return {
        "term": goal.term,
        "description": goal.description,
        "metric": goal.metric,
        "side": goal.side,
        "baseline_value": goal.baseline_value,
        "target_value": goal.target_value,
        "comparator": goal.comparator,
        "unit": goal.unit,
        "start_date": goal.start_date,
        "due_date": goal.due_date,
        "rationale": goal.rationale,
        "parent_goal_id": goal.parent_goal_id,
    }


def view(goal: Goal) -> dict[str, Any]:
    return {
        **{field: getattr(goal, field) for field in FIELDS},
        "warnings": rules.smart_warnings(_smart_fields(goal)),
    }


def patient_view(goal: Goal) -> dict[str, Any]:
    """What the patient app shows: the goal in the patient's words, without clinic notes."""
    metric = METRICS_BY_CODE.get(goal.metric)
    return {
        **{
            field: getattr(goal, field)
            for field in (
                "id",
                "episode_id",
                "term",
                "description",
                "metric",
                "unit",
                "side",
                "baseline_value",
                "target_value",
                "comparator",
                "current_value",
                "progress_percent",
                "achievement_status",
                "lifecycle_status",
                "start_date",
                "due_date",
            )
        },
        "metric_label": metric.label if metric else goal.metric,
    }


# --- Metric values ------------------------------------------------------------------------


def _as_value(raw: Any) -> float | None:
    if raw is None or isinstance(raw, bool):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


class _MetricValues:
    """The latest value of each metric of one episode, each source asked at most once."""

    def __init__(self, episode_id: uuid.UUID) -> None:
        self.episode_id = episode_id
        self._assessment: dict[tuple[str, str | None], float] | None = None
        self._runs: dict[str, float | None] = {}
        self._adherence: tuple[float | None] | None = None

    def get(self, metric: Metric, side: str | None) -> float | None:
        if metric.source == "assessment":
            if self._assessment is None:
                from clinic.assessments.service import latest_metric_values

                self._assessment = latest_metric_values(self.episode_id)
            return self._assessment.get((metric.code, side if metric.per_side else None))
        if metric.source == "run":
            if metric.code not in self._runs:
                from clinic.running.service import latest_run_metric

                raw = latest_run_metric(self.episode_id, metric.code)
                self._runs[metric.code] = _as_value(raw)
            return self._runs[metric.code]
        if self._adherence is None:
            from clinic.portal.service import adherence_percent

            raw = adherence_percent(self.episode_id, window_days=ADHERENCE_WINDOW_DAYS)
            self._adherence = (_as_value(raw),)
        return self._adherence[0]


# --- Lookups ------------------------------------------------------------------------------


def find_goal(goal_id: uuid.UUID) -> Goal:
    goal = db.session.scalars(select(Goal).where(Goal.id == goal_id)).one_or_none()
    if goal is None:
        raise not_found("goal")
    return goal


def _parent_in_episode(parent_id: uuid.UUID | None, episode_id: uuid.UUID) -> Goal | None:
    if parent_id is None:
        return None
    return db.session.scalars(
        select(Goal).where(Goal.id == parent_id, Goal.episode_id == episode_id)
    ).one_or_none()


def _changed(goal: Goal, action: str, audit_action: str) -> None:
    db.session.flush()
    record_change(db.session, goal.clinic_id, RESOURCE, goal.id, action, goal.version)
    audit.record(audit_action, RESOURCE, goal.id, goal.patient_id)


# --- SMART checks -------------------------------------------------------------------------


def _metric_exists(code: str) -> bool:
    return code in METRICS_BY_CODE


def _metric_per_side(code: str) -> bool:
    return METRICS_BY_CODE[code].per_side


def _smart_errors(
    goal: dict[str, Any], today: date, parent: Goal | None, extra: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Field -> messages for every part that is not SMART (``extra``: the service's own)."""
    errors = rules.check_smart(
        goal,
        today,
        _smart_fields(parent) if parent is not None else None,
        _metric_exists,
        _metric_per_side,
    )
    for field, messages in extra.items():
        errors.setdefault(field, []).extend(messages)
    return errors


def _refuse_unless_smart(errors: dict[str, list[str]]) -> None:
    if errors:
        raise validation_problem(
            errors, "The goal is not SMART; see each field: " + ", ".join(sorted(errors)) + "."
        )


def _side_fits(metric: Metric, side: str | None) -> bool:
    return side in SIDES if metric.per_side else side in rules.NOT_PER_SIDE


# --- Use cases ----------------------------------------------------------------------------


def create_goal(episode_id: uuid.UUID, data: dict[str, Any], today: date | None = None) -> Goal:
    """Set a SMART goal, or 422 naming every part that is missing or wrong."""
    today = today or _today()
    episode = find_open_episode(episode_id)
    goal = dict(data)
    goal.setdefault("start_date", today)
    extra: dict[str, list[str]] = {}
    metric = METRICS_BY_CODE.get(data.get("metric") or "")
    if metric is not None:
        unit = data.get("unit")
        if unit is None:
            goal["unit"] = metric.unit
        elif unit != metric.unit:
            extra["unit"] = [f"The metric '{metric.code}' is measured in '{metric.unit}'."]
        if data.get("baseline_value") is None and _side_fits(metric, data.get("side")):
            goal["baseline_value"] = _MetricValues(episode.id).get(metric, data.get("side"))
    parent = _parent_in_episode(data.get("parent_goal_id"), episode.id)
    if parent is not None and parent.lifecycle_status in FINAL_LIFECYCLE:
        extra["parent_goal_id"] = [
            f"The long-term goal is {parent.lifecycle_status}: choose an open one."
        ]
    errors = _smart_errors(goal, today, parent, extra)
    if "metric" in errors or "side" in errors:
        # Without a usable metric and side there is nothing to fill these from; the
        # metric or side message says what to fix first.
        if data.get("baseline_value") is None:
            errors.pop("baseline_value", None)
        if data.get("unit") is None and "metric" in errors:
            errors.pop("unit", None)
    _refuse_unless_smart(errors)
    assert metric is not None  # a goal without a catalogue metric was refused above
    created = Goal(
        clinic_id=episode.clinic_id,
        episode_id=episode.id,
        patient_id=episode.patient_id,
        term=goal["term"],
        description=goal["description"].strip(),
        metric=goal["metric"],
        # "both" and empty mean the same for a whole-body metric: stored as empty.
        side=goal.get("side") if metric.per_side else None,
        baseline_value=goal["baseline_value"],
        target_value=goal["target_value"],
        comparator=goal["comparator"],
        unit=goal["unit"],
        start_date=goal["start_date"],
        due_date=goal["due_date"],
        rationale=goal["rationale"].strip(),
        parent_goal_id=parent.id if parent is not None else None,
        lifecycle_status=data.get("lifecycle_status", ACTIVE),
        achievement_status=rules.IN_PROGRESS,
        current_value=None,
        progress_percent=None,
    )
    db.session.add(created)
    _changed(created, CREATED, "create")
    return created


def list_goals(
    episode_id: uuid.UUID,
    cursor: str | None,
    limit: int,
    *,
    lifecycle_status: str | None = None,
    term: str | None = None,
) -> Page:
    episode = find_episode(episode_id)
    statement = select(Goal).where(Goal.episode_id == episode.id)
    if lifecycle_status:
        statement = statement.where(Goal.lifecycle_status == lifecycle_status)
    if term:
        statement = statement.where(Goal.term == term)
    page = keyset_page(
        statement,
        [Goal.created_at, Goal.id],
        order_name="goals.created",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )
    audit.record_many("list", RESOURCE, ((g.id, g.patient_id) for g in page.items))
    return page


def read_goal(goal_id: uuid.UUID) -> Goal:
    goal = find_goal(goal_id)
    audit.record("read", RESOURCE, goal.id, goal.patient_id)
    return goal


def _check_lifecycle(goal: Goal, to: str) -> None:
    if to == goal.lifecycle_status:
        return
    allowed = LIFECYCLE_MOVES[goal.lifecycle_status]
    if to not in allowed:
        raise conflict(
            f"A goal that is {goal.lifecycle_status} cannot become {to}.",
            type_="/problems/transition-not-allowed",
            allowed_transitions=list(allowed),
        )


def _milestones_due_after(goal: Goal, due: date) -> list[Goal]:
    return list(
        db.session.scalars(
            select(Goal).where(
                Goal.parent_goal_id == goal.id,
                Goal.due_date > due,
                Goal.lifecycle_status != CANCELLED,
            )
        )
    )


def update_goal(goal_id: uuid.UUID, changes: dict[str, Any], today: date | None = None) -> Goal:
    """Move the lifecycle or change the goal (needs If-Match); the result must stay SMART."""
    today = today or _today()
    goal = find_goal(goal_id)
    require_if_match(goal.version)
    if goal.lifecycle_status in FINAL_LIFECYCLE:
        raise conflict(f"The goal is {goal.lifecycle_status}; it no longer changes.")
    find_open_episode(goal.episode_id)
    if "lifecycle_status" in changes:
        _check_lifecycle(goal, changes["lifecycle_status"])
    result = {
        **_smart_fields(goal),
        **{k: v for k, v in changes.items() if k != "lifecycle_status"},
    }
    extra: dict[str, list[str]] = {}
    if "due_date" in changes and goal.term == "long":
        late = _milestones_due_after(goal, changes["due_date"])
        if late:
            latest = max(m.due_date for m in late)
            extra["due_date"] = [
                f"{len(late)} milestone(s) of this goal are due later (up to {latest}): "
                "move them first."
            ]
    # A due date already past is refused only when the change sets it: a goal past due
    # may still be put on hold, completed or cancelled.
    _refuse_unless_smart(
        _smart_errors(
            result,
            today if "due_date" in changes else date.min,
            _parent_in_episode(goal.parent_goal_id, goal.episode_id),
            extra,
        )
    )
    for field in ("lifecycle_status", "due_date", "target_value"):
        if field in changes:
            setattr(goal, field, changes[field])
    for field in ("description", "rationale"):
        if field in changes:
            setattr(goal, field, changes[field].strip())
    if "target_value" in changes or "due_date" in changes:
        # Same measurement, new target or deadline: judged against the baseline.
        evaluation = rules.evaluate_goal(
            goal.baseline_value,
            goal.target_value,
            goal.comparator,
            goal.current_value,
            None,
            goal.due_date,
            today,
        )
        goal.progress_percent = evaluation.progress_percent
        goal.achievement_status = evaluation.achievement_status
        goal.evaluated_at = utcnow()
    goal.updated_at = utcnow()
    _changed(goal, UPDATED, "update")
    return goal


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, abs_tol=1e-9)


def reevaluate_goals(episode_id: uuid.UUID, today: date | None = None) -> None:
    """Bring every open goal of the episode up to date with its metric's latest value.

    Open: not completed or cancelled. A goal whose values and status stay the same is
    left alone (no new version, no change-feed row). When nothing new was measured
    (the value is the stored one), a trend already shown (improving, worsening,
    no-change) is kept rather than turned into no-change; an outcome (achieved,
    not-achieved, e.g. past due and not met) always applies.
    """
    today = today or _today()
    goals = list(
        db.session.scalars(
            select(Goal)
            .where(Goal.episode_id == episode_id, Goal.lifecycle_status.not_in(FINAL_LIFECYCLE))
            .order_by(Goal.created_at, Goal.id)
        )
    )
    values = _MetricValues(episode_id)
    changed: list[Goal] = []
    for goal in goals:
        metric = METRICS_BY_CODE.get(goal.metric)
        current = values.get(metric, goal.side) if metric is not None else None
        evaluation = rules.evaluate_goal(
            goal.baseline_value,
            goal.target_value,
            goal.comparator,
            current,
            goal.current_value,
            goal.due_date,
            today,
        )
        status: str = evaluation.achievement_status
        if (
            current is not None
            and _same(current, goal.current_value)
            and status in TRENDS
            and goal.achievement_status in TRENDS
        ):
            status = goal.achievement_status
        if (
            _same(current, goal.current_value)
            and _same(evaluation.progress_percent, goal.progress_percent)
            and status == goal.achievement_status
        ):
            continue
        now = utcnow()
        goal.current_value = current
        goal.progress_percent = evaluation.progress_percent
        goal.achievement_status = status
        goal.evaluated_at = now
        goal.updated_at = now
        changed.append(goal)
    if not changed:
        return
    db.session.flush()
    for goal in changed:
        record_change(db.session, goal.clinic_id, RESOURCE, goal.id, UPDATED, goal.version)
        audit.record("evaluate", RESOURCE, goal.id, goal.patient_id)


def goal_facts(episode_id: uuid.UUID) -> dict[str, int]:
    """What the workflow gates need from goals."""
    goals = list(db.session.scalars(select(Goal).where(Goal.episode_id == episode_id)))
    active = [g for g in goals if g.lifecycle_status == ACTIVE]
    return {
        "active_short_term_goals": sum(1 for g in active if g.term == "short"),
        "active_long_term_goals": sum(1 for g in active if g.term == "long"),
        "unresolved_goals": sum(
            1
            for g in goals
            if g.lifecycle_status != CANCELLED and g.achievement_status not in RESOLVED
        ),
    }


def list_my_goals(principal: Principal, cursor: str | None, limit: int) -> Page:
    """The patient's own goals across their episodes, cancelled ones left out."""
    if principal.patient_id is None:
        return Page(items=[], next_cursor=None)
    page = keyset_page(
        select(Goal).where(
            Goal.patient_id == principal.patient_id, Goal.lifecycle_status != CANCELLED
        ),
        [Goal.created_at, Goal.id],
        order_name="me.goals.created",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )
    audit.record_many("list", RESOURCE, ((g.id, g.patient_id) for g in page.items))
    return page
