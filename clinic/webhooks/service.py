"""Webhook endpoints: admins subscribe URLs to event types and read the delivery log."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select

from clinic.core import audit
from clinic.core.errors import not_found, validation_problem
from clinic.core.models import utcnow
from clinic.core.pagination import Page, keyset_page
from clinic.extensions import db
from clinic.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from clinic.webhooks.signing import new_secret
from clinic.webhooks.targets import UnsafeTarget, check_target

RESOURCE = "webhook_endpoint"


def _checked_url(url: str) -> str:
    try:
        check_target(url, allow_private=bool(current_app.config["WEBHOOKS_ALLOW_PRIVATE_TARGETS"]))
    except UnsafeTarget as unsafe:
        raise validation_problem({"url": [str(unsafe)]}) from unsafe
    return url


def create_endpoint(clinic_id: uuid.UUID, data: dict[str, Any]) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        clinic_id=clinic_id,
        url=_checked_url(data["url"]),
        events=sorted(data["events"]),
        secret=new_secret(),
        active=True,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record("create", RESOURCE, endpoint.id)
    return endpoint


def list_endpoints(cursor: str | None, limit: int) -> Page:
    return keyset_page(
        select(WebhookEndpoint).where(WebhookEndpoint.deleted_at.is_(None)),
        [WebhookEndpoint.created_at, WebhookEndpoint.id],
        order_name="webhook_endpoints.created",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )


def get_endpoint(endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = db.session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.deleted_at.is_(None)
        )
    ).one_or_none()
    if endpoint is None:
        raise not_found("webhook endpoint")
    return endpoint


def update_endpoint(endpoint_id: uuid.UUID, changes: dict[str, Any]) -> WebhookEndpoint:
    endpoint = get_endpoint(endpoint_id)
    if "url" in changes:
        endpoint.url = _checked_url(changes["url"])
    if "events" in changes:
        endpoint.events = sorted(changes["events"])
    if "active" in changes:
        endpoint.active = changes["active"]
        if endpoint.active:
            endpoint.disabled_reason = None
    endpoint.updated_at = utcnow()
    audit.record("update", RESOURCE, endpoint.id)
    return endpoint


def delete_endpoint(endpoint_id: uuid.UUID) -> None:
    endpoint = get_endpoint(endpoint_id)
    endpoint.deleted_at = utcnow()
    endpoint.active = False
    audit.record("delete", RESOURCE, endpoint.id)


def list_deliveries(endpoint_id: uuid.UUID, cursor: str | None, limit: int) -> Page:
    endpoint = get_endpoint(endpoint_id)
    page = keyset_page(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id),
        [WebhookDelivery.created_at, WebhookDelivery.id],
        order_name="webhook_deliveries.created",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )
    events = db.session.execute(
        select(WebhookEvent.id, WebhookEvent.type).where(
            WebhookEvent.id.in_([d.event_id for d in page.items])
        )
    )
    types = {row.id: row.type for row in events}
    page.items = [
        {
            **{
                c: getattr(d, c)
                for c in (
                    "id",
                    "event_id",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_attempt_at",
                    "last_status_code",
                    "last_error",
                    "created_at",
                )
            },
            "event_type": types.get(d.event_id, ""),
        }
        for d in page.items
    ]
    return page
