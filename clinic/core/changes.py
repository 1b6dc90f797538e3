"""The change feed's rows: one per create, update or archive, thin by design.

Written by services in the same transaction as the change, so the feed holds
exactly the committed changes. A row carries ids, type, action, version and
time, never clinical content. (Reading the feed is the integrations
capability's; its cursor design is documented there.)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import BigInteger, FetchedValue, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic.core.models import AnySession, Base, ClinicOwnedMixin, utcnow

CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"


class Change(ClinicOwnedMixin, Base):
    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_clinic_seq", "clinic_id", "seq"),
        Index("ix_changes_clinic_txid_seq", "clinic_id", "txid", "seq"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # PostgreSQL: the writing transaction's id, filled by the column's server
    # default (see the migration); the feed's cursor orders by it. SQLite: null.
    txid: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())


ChangeListener = Callable[[AnySession, uuid.UUID, str, uuid.UUID, str, int], None]
_listeners: list[ChangeListener] = []


def add_listener(listener: ChangeListener) -> None:
    """Called with every change, in its transaction (the webhook outbox listens)."""
    if listener not in _listeners:
        _listeners.append(listener)


def record_change(
    session: AnySession,
    clinic_id: uuid.UUID,
    resource_type: str,
    resource_id: uuid.UUID,
    action: str,
    version: int,
) -> None:
    session.add(
        Change(
            clinic_id=clinic_id,
            resource_type=resource_type,
            resource_id=resource_id,
            action=action,
            version=version,
        )
    )
    for listener in _listeners:
        listener(session, clinic_id, resource_type, resource_id, action, version)
