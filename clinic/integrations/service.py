"""API clients and their keys: admins create, rotate and revoke them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from clinic.auth.secrets import keyed_hash
from clinic.core import audit
from clinic.core.errors import conflict, not_found
from clinic.core.models import utcnow
from clinic.core.pagination import Page, keyset_page
from clinic.core.principal import Principal
from clinic.extensions import db
from clinic.integrations.keys import new_api_key
from clinic.integrations.models import ApiClient, ApiKey

RESOURCE = "api_client"
LIVE_KEYS_PER_CLIENT = 2  # the old and the new one during a rotation


def view(client: ApiClient) -> dict[str, Any]:
    used = [k.last_used_at for k in client.keys if k.last_used_at]
    return {
        "id": client.id,
        "name": client.name,
        "scopes": client.scopes,
        "created_at": client.created_at,
        "revoked_at": client.revoked_at,
        "last_used_at": max(used) if used else None,
        "keys": client.keys,
    }


def _issue_key(client: ApiClient) -> tuple[str, ApiKey]:
    raw, prefix = new_api_key()
    key = ApiKey(
        clinic_id=client.clinic_id, client_id=client.id, prefix=prefix, key_hash=keyed_hash(raw)
    )
    client.keys.append(key)
    db.session.flush()
    return raw, key


def create_client(actor: Principal, name: str, scopes: list[str]) -> tuple[ApiClient, str, ApiKey]:
    client = ApiClient(
        clinic_id=actor.clinic_id, name=name, scopes=sorted(scopes), created_by=actor.id, keys=[]
    )
    db.session.add(client)
    db.session.flush()
    raw, key = _issue_key(client)
    audit.record("create", RESOURCE, client.id)
    return client, raw, key


def list_clients(cursor: str | None, limit: int) -> Page:
    return keyset_page(
        select(ApiClient),
        [ApiClient.created_at, ApiClient.id],
        order_name="api_clients.created",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )


def get_client(client_id: uuid.UUID) -> ApiClient:
    client = db.session.scalars(select(ApiClient).where(ApiClient.id == client_id)).one_or_none()
    if client is None:
        raise not_found("API client")
    return client


def _live(client: ApiClient) -> ApiClient:
    if client.revoked_at is not None:
        raise conflict("The API client is revoked.")
    return client


def revoke_client(client_id: uuid.UUID) -> None:
    client = _live(get_client(client_id))
    now = utcnow()
    client.revoked_at = now
    for key in client.keys:
        key.revoked_at = key.revoked_at or now
    audit.record("revoke", RESOURCE, client.id)


def add_key(client_id: uuid.UUID) -> tuple[ApiClient, str, ApiKey]:
    client = _live(get_client(client_id))
    if sum(1 for k in client.keys if k.revoked_at is None) >= LIVE_KEYS_PER_CLIENT:
        raise conflict(
            f"A client has at most {LIVE_KEYS_PER_CLIENT} live keys: revoke the old one first."
        )
    raw, key = _issue_key(client)
    audit.record("add_key", RESOURCE, client.id)
    return client, raw, key


def revoke_key(client_id: uuid.UUID, key_id: uuid.UUID) -> None:
    client = _live(get_client(client_id))
    key = next((k for k in client.keys if k.id == key_id and k.revoked_at is None), None)
    if key is None:
        raise not_found("live key")
    key.revoked_at = utcnow()
    audit.record("revoke_key", RESOURCE, client.id)
