"""Reading the audit trail (admins)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from clinic.core.audit import AuditEvent
from clinic.core.pagination import Page, keyset_page
from clinic.extensions import db


def list_events(
    *,
    patient_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    since: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page:
    statement = select(AuditEvent)
    if patient_id is not None:
        statement = statement.where(AuditEvent.patient_id == patient_id)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    if since is not None:
        statement = statement.where(AuditEvent.occurred_at >= since)
    return keyset_page(
        statement,
        [AuditEvent.occurred_at, AuditEvent.id],
        order_name="audit.time",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )
