"""Return-to-running use cases: the criteria checklist, the walk-run plan, the run logs.

The rules themselves live in ``clinic.running.rules``; this module reads the rows, reads
the thresholds from the app config, and records the audit events and change-feed rows.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, fields
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from clinic.core import audit
from clinic.core.changes import CREATED, UPDATED, record_change
from clinic.core.errors import Problem, conflict, not_found, validation_problem
from clinic.core.etag import require_if_match
from clinic.core.models import utcnow
from clinic.core.pagination import Page, decode_cursor, encode_cursor
from clinic.core.principal import Principal
from clinic.episodes.models import Episode
from clinic.episodes.rules import RETURN_TO_RUN
from clinic.episodes.service import find_episode, find_open_episode
from clinic.extensions import db
from clinic.running import rules
from clinic.running.models import RunLog, RunPlan
from clinic.running.schemas import latest_date_anywhere

PLAN_RESOURCE = "run_plan"
RUN_RESOURCE = "run"
CHECKLIST_RESOURCE = "return_to_run"
CONTINUOUS_MINUTES = "run.continuous_minutes"

# App config key -> ReturnToRunThresholds field (defaults: the dataclass's).
THRESHOLD_CONFIG: dict[str, str] = {
    "RTR_WALKING_MINUTES": "walking_minutes_pain_free",
    "RTR_PAIN_ACTIVITY_MAX": "max_pain_activity_nrs",
    "RTR_PLANK_SECONDS": "plank_seconds",
    "RTR_SIDE_PLANK_SECONDS": "side_plank_seconds",
    "RTR_SINGLE_LEG_SQUAT_REPS": "single_leg_squat_reps",
    "RTR_ROM_ASYMMETRY_PERCENT": "max_rom_asymmetry_percent",
}
WEEKLY_INCREASE_CONFIG = "RUN_WEEKLY_INCREASE_PERCENT"
RUN_FIELDS = (
    "date",
    "phase",
    "walk_minutes",
    "run_minutes",
    "distance_km",
    "duration_minutes",
    "surface",
    "pain_before",
    "pain_during",
    "rpe",
    "notes",
)


# --- Settings from the app config ------------------------------------------------------------


def return_to_run_thresholds() -> rules.ReturnToRunThresholds:
    """The checklist thresholds: app config ``RTR_*`` keys over the IJSPT 2022 defaults."""
    types = {f.name: f.type for f in fields(rules.ReturnToRunThresholds)}
    overrides: dict[str, Any] = {}
    for key, name in THRESHOLD_CONFIG.items():
        value = current_app.config.get(key)
        if value is not None:
            overrides[name] = int(value) if types[name] in (int, "int") else float(value)
    return rules.ReturnToRunThresholds(**overrides)


def plan_settings() -> rules.PlanSettings:
    weekly = current_app.config.get(WEEKLY_INCREASE_CONFIG)
    if weekly is None:
        return rules.DEFAULT_PLAN_SETTINGS
    return rules.PlanSettings(weekly_increase_percent=float(weekly))


# --- The criteria checklist ------------------------------------------------------------------


def return_to_run_checklist(episode_id: uuid.UUID) -> dict[str, Any]:
    """Each criterion met / not met / not measured in the latest finalised assessment."""
    from clinic.assessments.service import latest_finalised

    episode = find_episode(episode_id)
    assessment = latest_finalised(episode.id)
    thresholds = return_to_run_thresholds()
    criteria = rules.evaluate_return_to_run(assessment.body if assessment else None, thresholds)
    audit.record("read", CHECKLIST_RESOURCE, episode.id, episode.patient_id)
    return {
        "episode_id": episode.id,
        "assessment_id": assessment.id if assessment else None,
        "performed_at": assessment.performed_at if assessment else None,
        "all_met": rules.all_met(criteria),
        "criteria": [asdict(criterion) for criterion in criteria],
        "thresholds": asdict(thresholds),
    }


# --- The walk-run plan -----------------------------------------------------------------------


def _find_plan(episode_id: uuid.UUID) -> RunPlan | None:
    return db.session.scalars(select(RunPlan).where(RunPlan.episode_id == episode_id)).one_or_none()


def _episode_runs(episode_id: uuid.UUID) -> list[RunLog]:
    return list(
        db.session.scalars(
            select(RunLog)
            .where(RunLog.episode_id == episode_id)
            .order_by(RunLog.date, RunLog.created_at, RunLog.id)
        )
    )


def _as_rule_run(run: RunLog) -> rules.RunLog:
    return rules.RunLog(
        date=run.date,
        phase=run.phase,
        walk_minutes=run.walk_minutes,
        run_minutes=run.run_minutes,
        distance_km=run.distance_km,
        duration_minutes=run.duration_minutes,
        surface=run.surface,
        pain_during=run.pain_during,
        pain_next_day=run.pain_next_day,
        pain_before=run.pain_before,
    )


def _phase_view(phase: rules.Phase) -> dict[str, Any]:
    return {
        "number": phase.number,
        "walk_minutes": phase.walk_minutes,
        "run_minutes": phase.run_minutes,
        "distance_km": phase.distance_km,
        "rpe": phase.rpe,
        "continuous": phase.continuous,
    }


def _notice(notice: rules.Notice) -> dict[str, str]:
    return {"code": notice.code, "message": notice.message}


def _shoe_warning(patient_id: uuid.UUID) -> list[rules.Notice]:
    """The replacement reminder from the patient's running profile (DOMAIN.md section 5)."""
    from clinic.patients.service import find_patient

    try:
        patient = find_patient(patient_id)
    except Problem as problem:  # an archived patient: no profile to read
        if problem.status == 404:
            return []
        raise
    shoe_km = (patient.running_profile or {}).get("shoe_distance_km")
    if isinstance(shoe_km, bool) or not isinstance(shoe_km, int | float):
        return []
    if not rules.shoe_replacement_due(shoe_km):
        return []
    return [
        rules.Notice(
            "shoes.replacement_due",
            f"The current running shoes have covered {shoe_km:g} km; shoes are usually "
            f"replaced between {rules.SHOE_REPLACEMENT_KM:g} and 800 km.",
        )
    ]


def _plan_view(plan: RunPlan, runs: list[RunLog]) -> dict[str, Any]:
    settings = plan_settings()
    # Today in UTC; a patient east of UTC may already have logged a run dated "tomorrow",
    # which must count, so the latest run's date is today at least.
    today = max([utcnow().date(), *(run.date for run in runs)])
    status = rules.plan_status([_as_rule_run(run) for run in runs], today, settings)
    warnings = [*status.warnings, *_shoe_warning(plan.patient_id)]
    return {
        "id": plan.id,
        "episode_id": plan.episode_id,
        "patient_id": plan.patient_id,
        "start_date": plan.start_date,
        "created_at": plan.created_at,
        "today": today,
        "runs_logged": len(runs),
        "last_run_date": runs[-1].date if runs else None,
        "current_phase": status.current_phase,
        "phase": _phase_view(rules.get_phase(status.current_phase)),
        "sessions_in_phase": status.sessions_in_phase,
        "sessions_to_progress": settings.sessions_to_progress,
        "may_progress": status.may_progress,
        "reasons": [_notice(reason) for reason in status.reasons],
        "next_phase": status.next_phase,
        "may_run_today": status.may_run_today,
        "next_run_earliest": status.next_run_earliest,
        "warnings": [_notice(warning) for warning in warnings],
        "phases": [_phase_view(phase) for phase in rules.PHASES],
    }


def create_plan(
    principal: Principal, episode_id: uuid.UUID, data: dict[str, Any]
) -> dict[str, Any]:
    """Start the episode's walk-run plan: one per episode, only in return_to_run."""
    episode = find_episode(episode_id)
    if episode.status != RETURN_TO_RUN:
        raise conflict(
            f"A walk-run plan starts when the episode is in {RETURN_TO_RUN}; this episode is "
            f"{episode.status}. Move it to {RETURN_TO_RUN} first.",
            type_="/problems/episode-state",
        )
    plan = RunPlan(
        clinic_id=episode.clinic_id,
        episode_id=episode.id,
        patient_id=episode.patient_id,
        start_date=data["start_date"],
        created_by=principal.id,
        created_at=utcnow(),
    )
    # The unique constraint on episode_id decides, also between concurrent requests.
    try:
        with db.session.begin_nested():
            db.session.add(plan)
    except IntegrityError as error:
        raise conflict(
            "This episode already has a walk-run plan.", type_="/problems/run-plan-exists"
        ) from error
    record_change(db.session, plan.clinic_id, PLAN_RESOURCE, plan.id, CREATED, 1)
    audit.record("create", PLAN_RESOURCE, plan.id, plan.patient_id)
    return _plan_view(plan, [])


def read_plan(episode_id: uuid.UUID) -> dict[str, Any]:
    """Where the patient stands in the plan, from the runs of this episode."""
    episode = find_episode(episode_id)
    plan = _find_plan(episode.id)
    if plan is None:
        raise not_found("walk-run plan for this episode")
    view = _plan_view(plan, _episode_runs(episode.id))
    audit.record("read", PLAN_RESOURCE, plan.id, plan.patient_id)
    return view


# --- Run logs (patient app) ------------------------------------------------------------------


def _own_patient_id(principal: Principal) -> uuid.UUID:
    if principal.patient_id is None:
        raise conflict("This account is not linked to a patient record.")
    return principal.patient_id


def _active_plan(patient_id: uuid.UUID) -> tuple[RunPlan, Episode]:
    """The patient's plan whose episode is in return_to_run (the newest, should there be two)."""
    plans = list(
        db.session.scalars(
            select(RunPlan)
            .where(RunPlan.patient_id == patient_id)
            .order_by(RunPlan.created_at.desc(), RunPlan.id.desc())
        )
    )
    for plan in plans:
        episode = find_episode(plan.episode_id)
        if episode.status == RETURN_TO_RUN:
            return plan, episode
    raise conflict(
        "There is no walk-run plan to log runs against: your clinician starts one when "
        "your episode reaches return to running.",
        type_="/problems/no-run-plan",
    )


def _find_own_run(principal: Principal, run_id: uuid.UUID) -> RunLog:
    run = db.session.scalars(
        select(RunLog).where(RunLog.id == run_id, RunLog.patient_id == principal.patient_id)
    ).one_or_none()
    if run is None:
        raise not_found("run")
    return run


def _prescribed_phase(episode_id: uuid.UUID, on: date) -> int:
    """The phase the plan gave for a run on ``on`` (runs logged later do not count)."""
    earlier = [_as_rule_run(run) for run in _episode_runs(episode_id)]
    return rules.plan_status(earlier, on, plan_settings()).next_phase


def _reevaluate_goals(episode_id: uuid.UUID) -> None:
    """Each logged run re-evaluates the episode's goals (running goals among them)."""
    from clinic.goals.service import reevaluate_goals

    reevaluate_goals(episode_id)


def _run_written(run: RunLog, action: str, audit_action: str) -> None:
    db.session.flush()
    record_change(db.session, run.clinic_id, RUN_RESOURCE, run.id, action, run.version)
    audit.record(audit_action, RUN_RESOURCE, run.id, run.patient_id)
    if run.episode_id is not None:
        _reevaluate_goals(run.episode_id)


def log_run(principal: Principal, data: dict[str, Any]) -> RunLog:
    """A run of the patient's plan in return to running; 409 when there is none."""
    patient_id = _own_patient_id(principal)
    plan, episode = _active_plan(patient_id)
    if data["date"] < plan.start_date:
        raise validation_problem(
            {"date": [f"Must not be before the plan's start date ({plan.start_date})."]}
        )
    values = {name: data.get(name) for name in RUN_FIELDS}
    if values["phase"] is None:
        values["phase"] = _prescribed_phase(episode.id, data["date"])
    run = RunLog(
        clinic_id=episode.clinic_id, patient_id=patient_id, episode_id=episode.id, **values
    )
    db.session.add(run)
    _run_written(run, CREATED, "create")
    return run


def list_runs(principal: Principal, cursor: str | None, limit: int) -> Page:
    """The caller's runs, newest first (keyset on date and id, descending)."""
    order_name = "runs.newest"
    statement = select(RunLog).where(RunLog.patient_id == principal.patient_id)
    if cursor:
        after = decode_cursor(cursor, order_name, 2)
        statement = statement.where(tuple_(RunLog.date, RunLog.id) < tuple_(*after))
    statement = statement.order_by(RunLog.date.desc(), RunLog.id.desc()).limit(limit + 1)
    rows = list(db.session.scalars(statement))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(order_name, [rows[-1].date, rows[-1].id])
    audit.record_many("list", RUN_RESOURCE, ((run.id, run.patient_id) for run in rows))
    return Page(items=rows, next_cursor=next_cursor)


def read_run(principal: Principal, run_id: uuid.UUID) -> RunLog:
    run = _find_own_run(principal, run_id)
    audit.record("read", RUN_RESOURCE, run.id, run.patient_id)
    return run


def update_run(
    principal: Principal, run_id: uuid.UUID, changes: dict[str, Any], if_match: bool
) -> RunLog:
    """Add next-morning pain (or notes) to one of the caller's runs; If-Match optional."""
    run = _find_own_run(principal, run_id)
    if if_match:
        require_if_match(run.version)
    if run.episode_id is not None:
        find_open_episode(run.episode_id)
    if "pain_next_day" in changes and latest_date_anywhere() <= run.date:
        raise validation_problem(
            {"pain_next_day": [f"Can be recorded from the morning after the run ({run.date})."]}
        )
    for name in ("pain_next_day", "notes"):
        if name in changes:
            setattr(run, name, changes[name])
    run.updated_at = utcnow()
    _run_written(run, UPDATED, "update")
    return run


# --- For the goals capability ----------------------------------------------------------------


def continuous_minutes(run: RunLog) -> float | None:
    """The longest stretch of running without a walk break in one run, in minutes.

    A continuous run (``walk_minutes`` 0, as phase 6 is) counts all its ``run_minutes``
    (its ``duration_minutes`` when those are missing); a walk-run interval run counts one
    running interval, its ``run_minutes``.
    """
    if not run.walk_minutes:
        return run.run_minutes if run.run_minutes is not None else run.duration_minutes
    return run.run_minutes


def latest_run_metric(episode_id: uuid.UUID, metric_code: str) -> float | None:
    """A running metric's current value for goals: None when unknown or no run is logged.

    ``run.continuous_minutes`` is ``continuous_minutes`` of the episode's latest run (by
    date, then logging time). Other metric codes are not run metrics: None.
    """
    if metric_code != CONTINUOUS_MINUTES:
        return None
    latest = db.session.scalars(
        select(RunLog)
        .where(RunLog.episode_id == episode_id)
        .order_by(RunLog.date.desc(), RunLog.created_at.desc(), RunLog.id.desc())
        .limit(1)
    ).one_or_none()
    return continuous_minutes(latest) if latest is not None else None
