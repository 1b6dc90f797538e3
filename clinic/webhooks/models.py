from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.core.models import Base, ClinicOwnedMixin, IdMixin, TimestampMixin, utcnow

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"  # gave up: retries exhausted, or the endpoint answered 410


class WebhookEndpoint(IdMixin, ClinicOwnedMixin, TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        Index("ix_webhook_endpoints_clinic_created", "clinic_id", "created_at", "id"),
    )

    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    # The signing key must be readable to sign; it is shown to the client once.
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    deleted_at: Mapped[datetime | None]


class WebhookEvent(ClinicOwnedMixin, Base):
    """The outbox: an event written in the same transaction as the change it reports."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_..., the webhook-id
    type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(IdMixin, ClinicOwnedMixin, Base):
    """One event to one endpoint, retried on the backoff schedule until it lands."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "clinic_id", "endpoint_id", "created_at", "id"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Declared so the unit of work inserts the event before its deliveries.
    event: Mapped[WebhookEvent] = relationship(lazy="raise")
