"""Engine set-up that makes SQLite behave like the PostgreSQL we run in production.

pysqlite's default transaction handling starts transactions late and lets a
SAVEPOINT commit on release; we take control of BEGIN so that savepoints and
one-transaction-per-request hold on SQLite too (the recipe in SQLAlchemy's
SQLite dialect documentation). Foreign keys are enforced.

SQLite allows one writer at a time. A transaction that may write starts with
``BEGIN IMMEDIATE``: it waits for the write lock up front (``busy_timeout``)
instead of reading first and failing with SQLITE_BUSY when another process
committed in between, which no amount of waiting resolves. Holding that lock
for a whole read request would serialise every request, though, so a request
with a safe method reads in a plain (deferred) transaction, which in WAL mode
neither blocks nor is blocked, and writes its audit rows afterwards in a short
``BEGIN IMMEDIATE`` transaction of their own (see ``clinic.core.lifecycle``).
WAL with ``synchronous=NORMAL`` keeps the database consistent across crashes
without an fsync per commit.
"""

from __future__ import annotations

import sqlite3
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from clinic.core.models import AnySession

# True while a safe-method request reads; the default (CLI, workers, writes) is to expect writes.
_reading = ContextVar("clinic_sqlite_reading", default=False)


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteWhileReading(RuntimeError):
    """A safe-method request wrote in its read transaction (checked when testing)."""


def start_reading(reading: bool) -> None:
    """Say whether the next transactions of this request only read."""
    _reading.set(reading)


def reads_apart_from_writes(session: AnySession) -> bool:
    """Whether a read request must end its read transaction before writing (SQLite)."""
    return session.get_bind().dialect.name == "sqlite"


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN" if _reading.get() else "BEGIN IMMEDIATE")


def refuse_writes_while_reading(engine: Engine) -> None:
    """Testing aid: fail a read request that writes before its bookkeeping phase.

    On SQLite such a write would upgrade a deferred transaction, which fails
    with SQLITE_BUSY when another process committed since the read began.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _check(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _reading.get() and statement.lstrip()[:7].upper().startswith(_WRITES):
            raise WriteWhileReading(statement.split("\n", 1)[0][:120])
