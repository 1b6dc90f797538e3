"""``Idempotency-Key`` for POSTs, kept in the database.

The first request with a key reserves it in a committed row of its own, so a
concurrent retry (any process, any machine) sees it and answers 409 while the
first is in flight. The response of a successful request is stored in the
same transaction as the change it made, so a replay can never disagree with
the database. A failed request releases its key, so the client may retry.
Keys are scoped to the credential (the user or API client) and kept at least
``IDEMPOTENCY_TTL_SECONDS`` (24 h by default).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, g, request
from sqlalchemy import JSON, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.errors import Problem, validation_problem
from clinic.core.models import Base, IdMixin, utcnow
from clinic.core.principal import Principal

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Link")
MAX_KEY_LENGTH = 255


class IdempotencyRecord(IdMixin, Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("credential", "key"),)

    credential: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status_code: Mapped[int | None]
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.full_path.encode() + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _session() -> Any:
    from clinic.extensions import db

    return db.session


def _reserve(credential: str, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    """Reserve the key, or answer for the request that already holds it."""
    session = _session()
    ttl = timedelta(seconds=current_app.config["IDEMPOTENCY_TTL_SECONDS"])
    for _ in range(2):
        record = IdempotencyRecord(credential=credential, key=key, fingerprint=fingerprint)
        session.add(record)
        try:
            session.commit()  # visible to concurrent retries before any work starts
            return record
        except IntegrityError:
            session.rollback()
        existing = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.credential == credential, IdempotencyRecord.key == key
            )
        ).one_or_none()
        if existing is None:
            continue  # released meanwhile: try again
        if existing.created_at < utcnow() - ttl:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))
            session.commit()
            continue
        if existing.fingerprint != fingerprint:
            raise validation_problem(
                {HEADER: ["This key was already used with a different request."]},
                "Idempotency-Key reused with a different request.",
            )
        if existing.status_code is None:
            raise Problem(
                409,
                "A request with this Idempotency-Key is still in progress.",
                type_="/problems/idempotency-in-progress",
                headers={"Retry-After": "1"},
            )
        return _replay(existing)
    raise Problem(
        409, "The Idempotency-Key could not be reserved; retry.", headers={"Retry-After": "1"}
    )


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body or b"", status=record.status_code or 200)
    for name, value in (record.response_headers or {}).items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def run_once(principal: Principal, view: Callable[[], Any]) -> Any:
    key = request.headers.get(HEADER)
    if key is None:
        return view()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise validation_problem({HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} printable characters."]})
    reserved = _reserve(principal.credential, key, _fingerprint())
    if isinstance(reserved, Response):
        return reserved
    g.idempotency_record_id = reserved.id
    response = current_app.make_response(view())
    if response.status_code < 400:
        reserved.status_code = response.status_code
        reserved.response_body = response.get_data()
        reserved.response_headers = {
            name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
        }
    return response


def release_after_failure(session: Any) -> None:
    """Called after a failed request's rollback: let the client retry the key."""
    record_id: uuid.UUID | None = g.pop("idempotency_record_id", None)
    if record_id is not None:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


def purge_expired(session: Any, now: datetime | None = None) -> int:
    ttl = timedelta(seconds=current_app.config["IDEMPOTENCY_TTL_SECONDS"])
    cutoff = (now or utcnow()) - ttl
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return int(result.rowcount or 0)
