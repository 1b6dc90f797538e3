"""Engine set-up that makes SQLite behave like the PostgreSQL we run in production.

pysqlite's default transaction handling starts transactions late and lets a
SAVEPOINT commit on release; we take control of BEGIN so that savepoints and
one-transaction-per-request hold on SQLite too (the recipe in SQLAlchemy's
SQLite dialect documentation). Foreign keys are enforced.

Every request writes (its audit events at least), so a transaction starts with
``BEGIN IMMEDIATE``: it waits for the write lock up front (``busy_timeout``)
instead of reading first and failing with SQLITE_BUSY when another process
committed in between, which no amount of waiting resolves. WAL with
``synchronous=NORMAL`` keeps the database consistent across crashes without
an fsync per commit.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")
