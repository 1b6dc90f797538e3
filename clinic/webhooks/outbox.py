"""Events into the outbox, in the same transaction as the change they report.

Every change-feed row becomes an event ``<resource>.<action>`` (patient.created,
goal.updated, ...); workflow moments are emitted by their services
(episode.transitioned, assessment.finalized, program.published). An event is
stored only when an active endpoint subscribes to it, with one delivery row per
such endpoint. Payloads are thin: ids, type, version and time, never clinical
content.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from sqlalchemy import select

from clinic.core import changes
from clinic.core.models import AnySession, utcnow
from clinic.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

RESOURCES = ("patient", "episode", "assessment", "goal", "program", "run")
EVENT_TYPES = tuple(
    sorted(
        {f"{r}.{a}" for r in RESOURCES for a in ("created", "updated", "deleted")}
        | {"episode.transitioned", "assessment.finalized", "program.published"}
    )
)


def _subscribers(session: AnySession, clinic_id: uuid.UUID) -> list[WebhookEndpoint]:
    """The clinic's active endpoints, read once per request."""
    cache: dict[uuid.UUID, list[WebhookEndpoint]] = g.setdefault("webhook_endpoints", {})
    if clinic_id not in cache:
        cache[clinic_id] = list(
            session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.clinic_id == clinic_id,
                    WebhookEndpoint.active.is_(True),
                    WebhookEndpoint.deleted_at.is_(None),
                )
            )
        )
    return cache[clinic_id]


def emit(
    session: AnySession,
    clinic_id: uuid.UUID,
    event_type: str,
    resource_type: str,
    resource_id: uuid.UUID,
    version: int,
) -> None:
    endpoints = [e for e in _subscribers(session, clinic_id) if event_type in e.events]
    if not endpoints:
        return
    now = utcnow()
    payload: dict[str, Any] = {
        "type": event_type,
        "resource_type": resource_type,
        "resource_id": str(resource_id),
        "version": version,
        "occurred_at": now.isoformat().replace("+00:00", "Z"),
    }
    event = WebhookEvent(
        id=f"msg_{uuid.uuid4().hex}", clinic_id=clinic_id, type=event_type, payload=payload
    )
    session.add(event)
    for endpoint in endpoints:
        session.add(
            WebhookDelivery(
                clinic_id=clinic_id, endpoint_id=endpoint.id, event=event, next_attempt_at=now
            )
        )


def _on_change(
    session: AnySession,
    clinic_id: uuid.UUID,
    resource_type: str,
    resource_id: uuid.UUID,
    action: str,
    version: int,
) -> None:
    emit(session, clinic_id, f"{resource_type}.{action}", resource_type, resource_id, version)


changes.add_listener(_on_change)
