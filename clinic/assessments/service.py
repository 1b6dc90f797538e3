"""Assessment use cases: draft, update, finalise, amend; findings and progress."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, bindparam, or_, select

from clinic.assessments.metrics import METRICS, METRICS_BY_CODE, extract_metric_values
from clinic.assessments.models import DRAFT, FINAL, Assessment
from clinic.assessments.rules import derive_findings
from clinic.assessments.schemas import PARTS
from clinic.core import audit
from clinic.core.changes import CREATED, UPDATED, record_change
from clinic.core.errors import conflict, not_found, validation_problem
from clinic.core.etag import require_if_match
from clinic.core.models import utcnow
from clinic.core.pagination import Page, keyset_page
from clinic.core.principal import Principal
from clinic.core.schemas import json_ready
from clinic.episodes.service import find_episode, find_open_episode
from clinic.extensions import db
from clinic.running.rules import all_met, evaluate_return_to_run
from clinic.webhooks.outbox import emit

RESOURCE = "assessment"


def _find(assessment_id: uuid.UUID) -> Assessment:
    found = db.session.scalars(
        select(Assessment).where(Assessment.id == assessment_id)
    ).one_or_none()
    if found is None:
        raise not_found("assessment")
    return found


def _finalised(episode_id: uuid.UUID) -> list[Assessment]:
    """The episode's finalised, current (not superseded) assessments, oldest first."""
    return list(
        db.session.scalars(
            select(Assessment)
            .where(
                Assessment.episode_id == episode_id,
                Assessment.status == FINAL,
                Assessment.superseded_by_id.is_(None),
            )
            .order_by(Assessment.performed_at, Assessment.id)
        )
    )


def _previous(assessment: Assessment, finalised: list[Assessment]) -> Assessment | None:
    """The finalised assessment just before this one, in (performed_at, id) order.

    Neither the assessment it amends nor the one that superseded it counts.
    """
    key = (assessment.performed_at, assessment.id)
    skip = (assessment.id, assessment.amends_id, assessment.superseded_by_id)
    earlier = [a for a in finalised if a.id not in skip and (a.performed_at, a.id) < key]
    return earlier[-1] if earlier else None


NO_ID = uuid.UUID(int=0)  # stands in for a missing id: equal to no row's
# ``_previous`` as one indexed query reading only the id and the exam, built once.
_PREVIOUS = (
    select(Assessment.id, Assessment.body)
    .where(
        Assessment.episode_id == bindparam("episode_id"),
        Assessment.status == FINAL,
        Assessment.superseded_by_id.is_(None),
        Assessment.id != bindparam("amends_id"),
        Assessment.id != bindparam("superseded_by_id"),
        or_(
            Assessment.performed_at < bindparam("performed_at"),
            and_(
                Assessment.performed_at == bindparam("performed_at"),
                Assessment.id < bindparam("id"),
            ),
        ),
    )
    .order_by(Assessment.performed_at.desc(), Assessment.id.desc())
    .limit(1)
)


def _previous_of(assessment: Assessment) -> Any:
    """What ``_previous`` finds, for a single read: without loading the whole episode."""
    return db.session.execute(
        _PREVIOUS,
        {
            "episode_id": assessment.episode_id,
            "amends_id": assessment.amends_id or NO_ID,
            "superseded_by_id": assessment.superseded_by_id or NO_ID,
            "performed_at": assessment.performed_at,
            "id": assessment.id,
        },
    ).one_or_none()


def view(assessment: Assessment, finalised: list[Assessment]) -> dict[str, Any]:
    return view_against(assessment, _previous(assessment, finalised))


def view_against(assessment: Assessment, previous: Any) -> dict[str, Any]:
    """The assessment with its findings, compared with ``previous`` (anything with id and body)."""
    findings = derive_findings(assessment.body, previous.body if previous else None)
    return {
        **{part: assessment.body.get(part) for part in PARTS},
        **{
            c: getattr(assessment, c)
            for c in (
                "id",
                "episode_id",
                "patient_id",
                "kind",
                "status",
                "performed_at",
                "clinician_id",
                "superseded_by_id",
                "finalized_at",
                "notes",
                "version",
                "created_at",
                "updated_at",
            )
        },
        "amends": (
            {"id": assessment.amends_id, "reason": assessment.amendment_reason}
            if assessment.amends_id
            else None
        ),
        "findings": [f.to_dict() for f in findings],
        "compared_with_id": previous.id if previous else None,
    }


def view_one(assessment: Assessment) -> dict[str, Any]:
    return view_against(assessment, _previous_of(assessment))


def _parts(data: dict[str, Any]) -> dict[str, Any]:
    return {part: json_ready(data[part]) for part in PARTS if data.get(part) is not None}


def _check_amendment(episode_id: uuid.UUID, amends: dict[str, Any]) -> None:
    target = db.session.scalars(
        select(Assessment).where(Assessment.id == amends["id"])
    ).one_or_none()
    if target is None or target.episode_id != episode_id:
        raise validation_problem({"amends.id": ["No such assessment in this episode."]})
    if target.status != FINAL:
        raise conflict("Only a finalised assessment is amended; edit the draft instead.")
    if target.superseded_by_id is not None:
        raise conflict("That assessment was already amended; amend the latest version.")


def _changed(assessment: Assessment, action: str, audit_action: str) -> None:
    db.session.flush()
    record_change(
        db.session, assessment.clinic_id, RESOURCE, assessment.id, action, assessment.version
    )
    audit.record(audit_action, RESOURCE, assessment.id, assessment.patient_id)


def create_assessment(
    principal: Principal, episode_id: uuid.UUID, data: dict[str, Any]
) -> Assessment:
    episode = find_open_episode(episode_id)
    amends = data.get("amends")
    if amends:
        _check_amendment(episode.id, amends)
    assessment = Assessment(
        clinic_id=episode.clinic_id,
        episode_id=episode.id,
        patient_id=episode.patient_id,
        kind=data["kind"],
        performed_at=data["performed_at"],
        clinician_id=principal.id,
        status=DRAFT,
        body=_parts(data),
        notes=data.get("notes"),
        amends_id=amends["id"] if amends else None,
        amendment_reason=amends["reason"] if amends else None,
    )
    db.session.add(assessment)
    _changed(assessment, CREATED, "create")
    return assessment


def list_assessments(
    episode_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[Page, list[Assessment]]:
    episode = find_episode(episode_id)
    page = keyset_page(
        select(Assessment).where(Assessment.episode_id == episode.id),
        [Assessment.performed_at, Assessment.id],
        order_name="assessments.performed",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )
    audit.record_many("list", RESOURCE, ((a.id, a.patient_id) for a in page.items))
    return page, _finalised(episode.id)


def read_assessment(assessment_id: uuid.UUID) -> Assessment:
    assessment = _find(assessment_id)
    audit.record("read", RESOURCE, assessment.id, assessment.patient_id)
    return assessment


def _editable(assessment_id: uuid.UUID) -> Assessment:
    assessment = _find(assessment_id)
    require_if_match(assessment.version)
    if assessment.status != DRAFT:
        raise conflict(
            "A finalised assessment never changes; create an amendment naming it in `amends`."
        )
    find_open_episode(assessment.episode_id)
    return assessment


def update_assessment(assessment_id: uuid.UUID, changes: dict[str, Any]) -> Assessment:
    assessment = _editable(assessment_id)
    body = dict(assessment.body)
    for part in PARTS:
        if part in changes:
            if changes[part] is None:
                body.pop(part, None)
            else:
                body[part] = json_ready(changes[part])
    assessment.body = body
    for field in ("kind", "performed_at", "notes"):
        if field in changes:
            setattr(assessment, field, changes[field])
    assessment.updated_at = utcnow()
    _changed(assessment, UPDATED, "update")
    return assessment


def finalize_assessment(
    principal: Principal, assessment_id: uuid.UUID, if_match: bool
) -> Assessment:
    assessment = _find(assessment_id)
    if if_match:
        require_if_match(assessment.version)
    if assessment.status != DRAFT:
        raise conflict("The assessment is already finalised.")
    find_open_episode(assessment.episode_id)
    if assessment.amends_id is not None:
        amended = _find(assessment.amends_id)
        if amended.superseded_by_id is not None:
            raise conflict("The assessment this amends was already amended by another.")
        amended.superseded_by_id = assessment.id
        amended.updated_at = utcnow()
        _changed(amended, UPDATED, "supersede")
    now = utcnow()
    assessment.status = FINAL
    assessment.finalized_at = now
    assessment.finalized_by = principal.id
    assessment.updated_at = now
    _changed(assessment, UPDATED, "finalize")
    # Each finalised assessment re-evaluates the episode's goals (DOMAIN.md 3).
    from clinic.goals.service import reevaluate_goals

    reevaluate_goals(assessment.episode_id)
    emit(
        db.session,
        assessment.clinic_id,
        "assessment.finalized",
        RESOURCE,
        assessment.id,
        assessment.version,
    )
    return assessment


def assessment_facts(episode_id: uuid.UUID) -> dict[str, Any]:
    """What the workflow gates need from assessments (with the configured thresholds)."""
    from clinic.running.service import return_to_run_thresholds

    finalised = _finalised(episode_id)
    latest = finalised[-1] if finalised else None
    return {
        "finalized_assessments": len(finalised),
        "finalized_discharge_assessment": any(a.kind == "discharge" for a in finalised),
        "return_to_run_criteria_met": bool(
            latest and all_met(evaluate_return_to_run(latest.body, return_to_run_thresholds()))
        ),
    }


def progress(episode_id: uuid.UUID, metric_code: str, side: str | None) -> dict[str, Any]:
    metric = METRICS_BY_CODE.get(metric_code)
    if metric is None:
        raise validation_problem({"metric": ["Not in the metric catalogue (GET /api/v1/metrics)."]})
    if metric.per_side and side is None:
        raise validation_problem({"side": ["This metric is per side: give left or right."]})
    if not metric.per_side:
        side = None
    episode = find_episode(episode_id)
    points = []
    for assessment in _finalised(episode.id):
        value = extract_metric_values(assessment.body).get((metric.code, side))
        if value is not None:
            points.append(
                {
                    "at": assessment.performed_at,
                    "value": value,
                    "source": RESOURCE,
                    "source_id": assessment.id,
                }
            )
    audit.record("read", "progress", episode.id, episode.patient_id)
    return {**metric.to_dict(), "metric": metric.code, "side": side, "points": points}


def metric_catalogue() -> list[dict[str, object]]:
    return [m.to_dict() for m in METRICS]


def latest_finalised(episode_id: uuid.UUID) -> Assessment | None:
    """The episode's latest finalised, current (not superseded) assessment, or None.

    Latest in the order ``_finalised`` uses (performed_at, then id), in one indexed query.
    """
    return db.session.scalars(
        select(Assessment)
        .where(
            Assessment.episode_id == episode_id,
            Assessment.status == FINAL,
            Assessment.superseded_by_id.is_(None),
        )
        .order_by(Assessment.performed_at.desc(), Assessment.id.desc())
        .limit(1)
    ).one_or_none()


def latest_metric_values(episode_id: uuid.UUID) -> dict[tuple[str, str | None], float]:
    """Each assessment metric's latest finalised value in the episode, by (code, side).

    Taken from the latest finalised, current (not superseded) assessment that measured
    it, so an assessment that skipped a metric does not hide its last measurement.
    """
    values: dict[tuple[str, str | None], float] = {}
    for assessment in _finalised(episode_id):  # oldest first: later values overwrite
        values.update(extract_metric_values(assessment.body))
    return values
