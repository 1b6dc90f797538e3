"""The delivery worker: ``flask --app wsgi deliver-webhooks [--once]``.

Each due delivery is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` inside
its own transaction and sent while the row stays locked, so two workers (on
any machines) never send the same attempt twice; the outcome is committed with
the release. At least once: a worker that dies after the receiver answered but
before committing leaves the attempt to be sent again, so receivers dedupe on
``webhook-id``. (SQLite has no row locks: run a single worker there.)

Backoff after a failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; then
the delivery is given up. A 2xx answer is success; 410 Gone disables the
endpoint. Redirects are not followed.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from clinic.core.models import utcnow
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.webhooks.models import (
    FAILED,
    PENDING,
    SUCCEEDED,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from clinic.webhooks.signing import sign
from clinic.webhooks.targets import UnsafeTarget, check_target

log = logging.getLogger(__name__)

BACKOFF = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
TIMEOUT_SECONDS = 10
USER_AGENT = "hip-rehab-clinic-webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str | None = None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (checked target)
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return Answer(response.status)
    except urllib.error.HTTPError as error:
        return Answer(error.code)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return Answer(None, type(error).__name__)


def _headers(endpoint: WebhookEndpoint, event: WebhookEvent, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(endpoint.secret, event.id, timestamp, body),
    }


def _record(delivery: WebhookDelivery, endpoint: WebhookEndpoint, answer: Answer) -> None:
    now = utcnow()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = answer.status
    delivery.last_error = answer.error
    if answer.status is not None and 200 <= answer.status < 300:
        delivery.status = SUCCEEDED
    elif answer.status == 410:
        delivery.status = FAILED
        endpoint.active = False
        endpoint.disabled_reason = "The endpoint answered 410 Gone."
    elif delivery.attempts > len(BACKOFF):
        delivery.status = FAILED
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]


def deliver_one(send: Callable[[str, bytes, dict[str, str]], Answer] = http_post) -> bool:
    """Claim and attempt one due delivery; False when none is due."""
    session = db.session
    allow_private = bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS"))
    with all_clinics(session):
        delivery = session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if delivery is None:
            session.rollback()
            return False
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        event = session.get(WebhookEvent, delivery.event_id)
        assert endpoint is not None and event is not None  # foreign keys
        if not endpoint.active or endpoint.deleted_at is not None:
            delivery.status = FAILED
            delivery.last_error = "endpoint disabled"
        else:
            body = json.dumps(event.payload, separators=(",", ":")).encode()
            try:
                check_target(endpoint.url, allow_private=allow_private)
                answer = send(endpoint.url, body, _headers(endpoint, event, body))
            except UnsafeTarget as unsafe:
                answer = Answer(None, f"unsafe target: {unsafe}")
            _record(delivery, endpoint, answer)
        session.commit()
    return True


def deliver_due(limit: int | None = None, **kwargs: Callable[..., Answer]) -> int:
    """Attempt every due delivery (or ``limit`` of them); how many were attempted."""
    attempted = 0
    while limit is None or attempted < limit:
        if not deliver_one(**kwargs):
            break
        attempted += 1
    return attempted


def run_forever(poll_seconds: float = 1.0) -> None:  # pragma: no cover - a loop for operators
    while True:
        if deliver_due(limit=100) == 0:
            time.sleep(poll_seconds)
