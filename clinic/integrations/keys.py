"""API keys: ``hrk_<prefix>_<secret>``, resolved on every request like login tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update

from clinic.auth.secrets import keyed_hash
from clinic.core.models import utcnow
from clinic.core.principal import API_CLIENT, Principal
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.integrations.models import ApiClient, ApiKey

API_KEY_PREFIX = "hrk_"  # noqa: S105 (a public prefix)
TOUCH_INTERVAL = timedelta(seconds=60)


def new_api_key() -> tuple[str, str]:
    """A new key and its display prefix."""
    prefix = secrets.token_hex(4)
    return f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def resolve_api_key(raw: str) -> Principal | None:
    if not raw.startswith(API_KEY_PREFIX) or len(raw) > 200:
        return None
    session = db.session
    with all_clinics(session):
        row = session.execute(
            select(ApiKey, ApiClient)
            .join(ApiClient, ApiClient.id == ApiKey.client_id)
            .where(ApiKey.key_hash == keyed_hash(raw))
        ).one_or_none()
        if row is None:
            return None
        key, client = row
        if key.revoked_at is not None or client.revoked_at is not None:
            return None
        now = utcnow()
        if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
            session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return Principal(
        kind="api_client",
        id=client.id,
        clinic_id=client.clinic_id,
        role=API_CLIENT,
        scopes=frozenset(client.scopes),
    )
