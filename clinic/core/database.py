"""Engine set-up that makes SQLite behave like the PostgreSQL we run in production.

pysqlite's default transaction handling starts transactions late and lets a
SAVEPOINT commit on release; we take control of BEGIN so that savepoints and
one-transaction-per-request hold on SQLite too (the recipe in SQLAlchemy's
SQLite dialect documentation). Foreign keys are enforced.

SQLite allows one writer at a time. A transaction that may write starts with
``BEGIN IMMEDIATE``: it waits for the write lock up front instead of reading
first and failing with SQLITE_BUSY when another process committed in between,
which no amount of waiting resolves. It waits by polling (``_begin_immediate``),
not through SQLite's busy handler, whose sleeps grow to 100 ms. Holding that
lock for a whole read request would serialise every request, though, so a request
with a safe method reads in a plain (deferred) transaction, which in WAL mode
neither blocks nor is blocked, and writes its audit rows afterwards in a short
``BEGIN IMMEDIATE`` transaction of their own (see ``clinic.core.lifecycle``).
WAL with ``synchronous=NORMAL`` keeps the database consistent across crashes
without an fsync per commit.
"""

from __future__ import annotations

import sqlite3
import time
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from clinic.core import checkpoint
from clinic.core.models import AnySession

# True while a safe-method request reads; the default (CLI, workers, writes) is to expect writes.
_reading = ContextVar("clinic_sqlite_reading", default=False)


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

BUSY_TIMEOUT_MS = 10_000  # the longest any statement waits for a lock
# Polling for the write lock: first pause, longest pause (seconds).
LOCK_POLL_FIRST, LOCK_POLL_LONGEST = 0.0001, 0.001


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
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Checkpoints run in the background (clinic.core.checkpoint); this bounds the log without it.
    cursor.execute(f"PRAGMA wal_autocheckpoint={checkpoint.AUTOCHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={checkpoint.JOURNAL_SIZE_LIMIT}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    if _reading.get():
        connection.exec_driver_sql("BEGIN")
    else:
        _begin_immediate(connection)


def _begin_immediate(connection: Connection) -> None:
    """Take the write lock, polling for it every millisecond at most.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ... then 100 ms between
    attempts. A request holds the write lock for a few milliseconds, so a
    writer that lost the race slept far past its release, and the other worker,
    taking the lock again at once, could keep it from ever winning: writes had
    a p99 of 0.6 to 1.4 s at a p50 of 20 to 40 ms under two workers. Polling
    briefly wakes the waiter while the lock is free. Only this wait polls;
    every other statement keeps the busy timeout.
    """
    raw = connection.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    raw.execute("PRAGMA busy_timeout=0")
    try:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if not _is_busy(error.orig):
                raise
        # The retries go to the driver directly: SQLAlchemy would wrap each
        # refusal in a new exception, costing more than the pause.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = LOCK_POLL_FIRST
        while True:
            time.sleep(pause)
            pause = min(pause * 2, LOCK_POLL_LONGEST)
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() + pause > deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None, error) from error
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _is_busy(error: BaseException | None) -> bool:
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


def refuse_writes_while_reading(engine: Engine) -> None:
    """Testing aid: fail a read request that writes before its bookkeeping phase.

    On SQLite such a write would upgrade a deferred transaction, which fails
    with SQLITE_BUSY when another process committed since the read began.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _check(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _reading.get() and statement.lstrip()[:7].upper().startswith(_WRITES):
            raise WriteWhileReading(statement.split("\n", 1)[0][:120])
