"""The audit trail: who read or changed which patient data, when, from where.

Services call ``record`` (or ``record_many`` for lists) as they read or write;
the events wait on the request and are written by the request lifecycle in the
same transaction as the change, with one INSERT whatever their number. A
failed request records one event for the resource its route declares, with
the status as its outcome. Rows are only ever inserted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from flask import g, request
from sqlalchemy import Index, String, Table, insert
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import AnySession, Base, ClinicOwnedMixin, IdMixin, utcnow
from clinic.core.principal import Principal

ACTION_BY_METHOD = {
    "GET": "read",
    "POST": "create",
    "PUT": "upsert",
    "PATCH": "update",
    "DELETE": "delete",
}


class AuditEvent(IdMixin, ClinicOwnedMixin, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_clinic_time", "clinic_id", "occurred_at", "id"),
        Index("ix_audit_events_clinic_patient_time", "clinic_id", "patient_id", "occurred_at"),
        Index("ix_audit_events_clinic_actor_time", "clinic_id", "actor_id", "occurred_at"),
    )

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID]
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[uuid.UUID | None]
    outcome: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int]
    http_method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))


_INSERT = insert(cast(Table, AuditEvent.__table__))


def record(
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | str | None = None,
    patient_id: uuid.UUID | None = None,
) -> None:
    g.setdefault("audit_events", []).append(
        (action, resource_type, str(resource_id) if resource_id else None, patient_id)
    )


def record_many(
    action: str, resource_type: str, rows: Iterable[tuple[uuid.UUID, uuid.UUID | None]]
) -> None:
    for resource_id, patient_id in rows:
        record(action, resource_type, resource_id, patient_id)


def _failure_event() -> tuple[str, str, str | None, uuid.UUID | None] | None:
    resource_type = g.get("audit_resource_type")
    if not resource_type:
        return None
    view_args = request.view_args or {}
    resource_id = next((str(v) for v in view_args.values() if isinstance(v, uuid.UUID)), None)
    patient_id = view_args.get("patient_id")
    return (
        ACTION_BY_METHOD.get(request.method, request.method.lower()),
        resource_type,
        resource_id,
        patient_id if isinstance(patient_id, uuid.UUID) else None,
    )


def write_pending(session: AnySession, principal: Principal | None, status_code: int) -> None:
    """Write this request's events; on failure, one event for the route's resource."""
    events: list[Any] = g.pop("audit_events", [])
    if status_code >= 400:
        failure = _failure_event()
        events = [failure] if failure else []
    if principal is None or not events:
        return
    now = utcnow()
    outcome = "success" if status_code < 400 else "failure"
    common = {
        "clinic_id": principal.clinic_id,
        "occurred_at": now,
        "actor_type": principal.kind,
        "actor_id": principal.id,
        "actor_role": principal.role,
        "outcome": outcome,
        "status_code": status_code,
        "http_method": request.method,
        "path": request.path[:300],
        "client_address": g.get("client_address"),
        "request_id": g.get("request_id"),
    }
    rows = [
        {
            **common,
            "id": uuid.uuid4(),
            "action": action,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "patient_id": patient_id,
        }
        for action, resource_type, resource_id, patient_id in events
    ]
    # Core, not the ORM's bulk insert: the rows are complete and this runs on every request.
    session.connection().execute(_INSERT, rows)
