"""Opaque bearer tokens: issue, resolve on every request, revoke.

A token expires ``TOKEN_LIFETIME_SECONDS`` after issue, or after
``TOKEN_IDLE_TIMEOUT_SECONDS`` without use. Resolution joins the user, so a
deactivated user's tokens stop working on the next request.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import cast

from flask import current_app
from sqlalchemy import Table, bindparam, select, update

from clinic.auth.models import AccessToken
from clinic.auth.secrets import keyed_hash, new_secret
from clinic.core.lifecycle import defer_write
from clinic.core.models import utcnow
from clinic.core.principal import Principal
from clinic.extensions import db
from clinic.users.models import User

USER_TOKEN_PREFIX = "hrt_"  # noqa: S105 (a public prefix)
# Writing last_used_at on every request would turn each read into a write.
TOUCH_INTERVAL = timedelta(seconds=60)


def issue_token(user: User) -> tuple[str, int]:
    """A new token for ``user``: the secret (shown once) and its lifetime in seconds."""
    lifetime = int(current_app.config["TOKEN_LIFETIME_SECONDS"])
    raw = new_secret(USER_TOKEN_PREFIX)
    now = utcnow()
    db.session.add(
        AccessToken(
            clinic_id=user.clinic_id,
            user_id=user.id,
            token_hash=keyed_hash(raw),
            created_at=now,
            last_used_at=now,
            expires_at=now + timedelta(seconds=lifetime),
        )
    )
    return raw, lifetime


# Built once: this runs on every authenticated request. Core on the session's
# connection, not the ORM: the row is only read, and a token's lookup is by
# design across clinics (the token says whose clinic the request serves).
_RESOLVE = (
    select(
        AccessToken.id,
        AccessToken.revoked_at,
        AccessToken.expires_at,
        AccessToken.last_used_at,
        User.id.label("user_id"),
        User.clinic_id,
        User.role,
        User.patient_id,
        User.active,
    )
    .join(User, User.id == AccessToken.user_id)
    .where(AccessToken.token_hash == bindparam("token_hash"))
)
_TOUCH = (
    update(cast(Table, AccessToken.__table__))
    .where(AccessToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


def resolve_bearer(raw: str) -> Principal | None:
    if not raw.startswith(USER_TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = db.session.connection().execute(_RESOLVE, {"token_hash": keyed_hash(raw)}).one_or_none()
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(seconds=int(current_app.config["TOKEN_IDLE_TIMEOUT_SECONDS"]))
    if (
        row.revoked_at is not None
        or row.expires_at <= now
        or row.last_used_at + idle <= now
        or not row.active
    ):
        return None
    if now - row.last_used_at >= TOUCH_INTERVAL:
        defer_write(_TOUCH, {"token_id": row.id, "now": now})
    return Principal(
        kind="user",
        id=row.user_id,
        clinic_id=row.clinic_id,
        role=row.role,
        patient_id=row.patient_id,
        token_id=row.id,
    )


def revoke_token(token_id: uuid.UUID) -> None:
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.id == token_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_for_user(user_id: uuid.UUID) -> None:
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
