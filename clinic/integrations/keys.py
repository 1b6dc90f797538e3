"""API keys: ``hrk_<prefix>_<secret>``, resolved on every request like login tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from clinic.auth.secrets import keyed_hash
from clinic.core.lifecycle import defer_write
from clinic.core.models import utcnow
from clinic.core.principal import API_CLIENT, Principal
from clinic.extensions import db
from clinic.integrations.models import ApiClient, ApiKey

API_KEY_PREFIX = "hrk_"  # noqa: S105 (a public prefix)
TOUCH_INTERVAL = timedelta(seconds=60)


def new_api_key() -> tuple[str, str]:
    """A new key and its display prefix."""
    prefix = secrets.token_hex(4)
    return f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


# Built once and run on the session's connection, like login tokens (clinic.auth.tokens).
_RESOLVE = (
    select(
        ApiKey.id,
        ApiKey.revoked_at,
        ApiKey.last_used_at,
        ApiClient.id.label("client_id"),
        ApiClient.clinic_id,
        ApiClient.scopes,
        ApiClient.revoked_at.label("client_revoked_at"),
    )
    .join(ApiClient, ApiClient.id == ApiKey.client_id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)
_TOUCH = (
    update(cast(Table, ApiKey.__table__))
    .where(ApiKey.id == bindparam("key_id"))
    .values(last_used_at=bindparam("now"))
)


def resolve_api_key(raw: str) -> Principal | None:
    if not raw.startswith(API_KEY_PREFIX) or len(raw) > 200:
        return None
    row = db.session.connection().execute(_RESOLVE, {"key_hash": keyed_hash(raw)}).one_or_none()
    if row is None or row.revoked_at is not None or row.client_revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        defer_write(_TOUCH, {"key_id": row.id, "now": now})
    return Principal(
        kind="api_client",
        id=row.client_id,
        clinic_id=row.clinic_id,
        role=API_CLIENT,
        scopes=frozenset(row.scopes),
    )
