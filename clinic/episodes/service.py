"""Episode-of-care use cases: open, read, update, and move through the workflow."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from clinic.core import audit
from clinic.core.changes import CREATED, UPDATED, record_change
from clinic.core.errors import conflict, not_found
from clinic.core.etag import require_if_match
from clinic.core.models import utcnow
from clinic.core.pagination import Page, keyset_page
from clinic.core.principal import Principal
from clinic.core.schemas import json_ready
from clinic.episodes import rules
from clinic.episodes.diagnoses import DIAGNOSES
from clinic.episodes.models import Diagnosis, Episode, Transition
from clinic.extensions import db
from clinic.patients.service import find_patient
from clinic.webhooks.outbox import emit

RESOURCE = "episode"


def find_episode(episode_id: uuid.UUID) -> Episode:
    episode = db.session.scalars(select(Episode).where(Episode.id == episode_id)).one_or_none()
    if episode is None:
        raise not_found("episode")
    return episode


def find_open_episode(episode_id: uuid.UUID) -> Episode:
    episode = find_episode(episode_id)
    if episode.status in rules.FINAL_STATES:
        raise conflict(f"The episode is {episode.status}; its record is closed.")
    return episode


def view(episode: Episode) -> dict[str, Any]:
    return {
        **{
            c: getattr(episode, c)
            for c in (
                "id",
                "patient_id",
                "title",
                "side",
                "onset_date",
                "status",
                "held_from",
                "history",
                "version",
                "created_at",
                "updated_at",
                "closed_at",
            )
        },
        "diagnoses": [
            {
                "id": d.id,
                "code": d.code,
                "display": DIAGNOSES[d.code],
                "side": d.side,
                "note": d.note,
            }
            for d in episode.diagnoses
        ],
        "allowed_transitions": list(rules.allowed_targets(episode.status, episode.held_from)),
    }


def _set_diagnoses(episode: Episode, diagnoses: list[dict[str, Any]]) -> None:
    episode.diagnoses = [
        Diagnosis(
            clinic_id=episode.clinic_id,
            position=position,
            code=d["code"],
            side=d["side"],
            note=d.get("note"),
        )
        for position, d in enumerate(diagnoses)
    ]


def _changed(episode: Episode, action: str, audit_action: str) -> None:
    db.session.flush()
    record_change(db.session, episode.clinic_id, RESOURCE, episode.id, action, episode.version)
    audit.record(audit_action, RESOURCE, episode.id, episode.patient_id)


def open_episode(clinic_id: uuid.UUID, patient_id: uuid.UUID, data: dict[str, Any]) -> Episode:
    find_patient(patient_id)
    episode = Episode(
        clinic_id=clinic_id,
        patient_id=patient_id,
        title=data["title"],
        side=data["side"],
        onset_date=data.get("onset_date"),
        history=json_ready(data.get("history", {})),
        status=rules.INTAKE,
    )
    _set_diagnoses(episode, data.get("diagnoses", []))
    db.session.add(episode)
    _changed(episode, CREATED, "create")
    return episode


def list_episodes(patient_id: uuid.UUID, cursor: str | None, limit: int) -> Page:
    find_patient(patient_id)
    page = keyset_page(
        select(Episode).where(Episode.patient_id == patient_id),
        [Episode.created_at, Episode.id],
        order_name="episodes.created",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )
    audit.record_many("list", RESOURCE, ((e.id, e.patient_id) for e in page.items))
    return page


def read_episode(episode_id: uuid.UUID) -> Episode:
    episode = find_episode(episode_id)
    audit.record("read", RESOURCE, episode.id, episode.patient_id)
    return episode


def update_episode(episode_id: uuid.UUID, changes: dict[str, Any]) -> Episode:
    episode = find_episode(episode_id)
    require_if_match(episode.version)
    if episode.status in rules.FINAL_STATES:
        raise conflict(f"The episode is {episode.status}; its record is closed.")
    for field in ("title", "side", "onset_date"):
        if field in changes:
            setattr(episode, field, changes[field])
    if "history" in changes:
        episode.history = json_ready(changes["history"])
    if "diagnoses" in changes:
        _set_diagnoses(episode, changes["diagnoses"])
    episode.updated_at = utcnow()
    _changed(episode, UPDATED, "update")
    return episode


def transition(
    principal: Principal, episode_id: uuid.UUID, request: dict[str, Any], if_match: bool
) -> Episode:
    """Move the episode, or 409 listing every unmet requirement."""
    from clinic.episodes.facts import gather_facts

    episode = find_episode(episode_id)
    if if_match:
        require_if_match(episode.version)
    to, reason, override = request["to"], request.get("reason"), request["override"]
    try:
        decision = rules.check_transition(
            episode.status,
            to,
            held_from=episode.held_from,
            facts=gather_facts(episode),
            reason=reason,
            override=override,
        )
    except rules.InvalidTransition as invalid:
        raise conflict(
            str(invalid),
            type_="/problems/transition-not-allowed",
            unmet=[{"code": "transition.invalid", "message": str(invalid)}],
            allowed_transitions=list(rules.allowed_targets(episode.status, episode.held_from)),
        ) from invalid
    if not decision.allowed:
        raise conflict(
            f"The episode cannot move to {to} yet.",
            type_="/problems/transition-gate",
            unmet=[u.to_dict() for u in decision.unmet],
        )
    db.session.add(
        Transition(
            clinic_id=episode.clinic_id,
            episode_id=episode.id,
            from_status=episode.status,
            to_status=to,
            reason=reason,
            override=decision.overridden,
            actor_id=principal.id,
        )
    )
    episode.held_from = episode.status if to == rules.ON_HOLD else None
    episode.status = to
    episode.closed_at = utcnow() if to in rules.FINAL_STATES else None
    episode.updated_at = utcnow()
    _changed(episode, UPDATED, "transition")
    emit(
        db.session, episode.clinic_id, "episode.transitioned", RESOURCE, episode.id, episode.version
    )
    return episode


def list_transitions(episode_id: uuid.UUID) -> list[Transition]:
    episode = find_episode(episode_id)
    audit.record("read", "episode_transition", episode.id, episode.patient_id)
    return list(
        db.session.scalars(
            select(Transition)
            .where(Transition.episode_id == episode.id)
            .order_by(Transition.occurred_at, Transition.id)
        )
    )
