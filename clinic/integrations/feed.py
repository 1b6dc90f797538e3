"""The change feed: every committed change, in an order a cursor never skips.

The problem: sequence numbers are handed out when a row is inserted, not when
its transaction commits. A transaction holding seq 41 may commit after one
holding seq 42; a reader that already returned 42 and moved its cursor past it
would never see 41.

The design, on PostgreSQL: each change row records the id of the transaction
that wrote it (``txid``, a server default of ``pg_current_xact_id()``). A page
returns only rows whose transaction is older than the oldest transaction still
running (``pg_snapshot_xmin(pg_current_snapshot())``): every such transaction
has finished, so no row with a smaller txid can appear later. Rows are ordered
by ``(txid, seq)`` and the cursor is that pair, so a reader sees each change
exactly once, in an order consistent with commits (a transaction's changes
together). The cost: a transaction that stays open holds the feed back until
it ends (changes are delayed, never lost).

On SQLite, writers are serialised by the database lock, so a row's seq is in
commit order already and the cursor is the seq alone.

The cursor is always returned, also at the end of the feed: a client polls
with it and receives what was committed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Text, cast, func, select, tuple_

from clinic.core.changes import Change
from clinic.core.pagination import decode_cursor, encode_cursor
from clinic.extensions import db

ORDER_NAME = "changes"


@dataclass
class FeedPage:
    items: list[Change]
    next_cursor: str
    has_more: bool


def _committed_horizon() -> Any:
    """Transaction ids below this belong to transactions that have all finished."""
    return cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)


def read_feed(cursor: str | None, limit: int) -> FeedPage:
    session = db.session
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    columns = [Change.txid, Change.seq] if on_postgresql else [Change.seq]
    statement = select(Change)
    if on_postgresql:
        statement = statement.where(Change.txid < _committed_horizon())
    position: list[Any] = [0] * len(columns)
    if cursor:
        position = decode_cursor(cursor, ORDER_NAME, len(columns))
        statement = statement.where(tuple_(*columns) > tuple_(*position))
    rows = list(session.scalars(statement.order_by(*columns).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        position = [getattr(rows[-1], c.key) for c in columns]
    return FeedPage(rows, encode_cursor(ORDER_NAME, position), has_more)
