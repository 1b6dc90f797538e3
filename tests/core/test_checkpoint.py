"""SQLite's write-ahead log is copied into the database file by a background thread."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from clinic.core import checkpoint
from clinic.extensions import db


@pytest.fixture
def sqlite_app(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL checkpoints on its own")
    return app


def _in_the_database_file(path: str, family_name: str) -> bool:
    """Read the main file only, as if the log did not exist (immutable=1 skips it)."""
    uri = Path(path).resolve().as_uri() + "?immutable=1"
    reader = sqlite3.connect(uri, uri=True)
    try:
        query = "SELECT count(*) FROM patients WHERE family_name = ?"
        return reader.execute(query, (family_name,)).fetchone()[0] == 1
    except sqlite3.OperationalError:  # not even the schema has been copied yet
        return False
    finally:
        reader.close()


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_committed_write_reaches_the_database_file_without_a_request_waiting_for_it(
    sqlite_app, client, world, database_url
):
    checkpointer = sqlite_app.extensions["sqlite_checkpointer"]
    path = database_url.removeprefix("sqlite:///")
    body = {"given_name": "Wal", "family_name": "Copied", "birth_date": "1990-01-01", "sex": "male"}

    response = client.post("/api/v1/patients", json=body, headers=world.clinician.headers)

    assert response.status_code == 201
    assert _wait_for(lambda: _in_the_database_file(path, "Copied"))
    assert checkpointer.completed > 0


def test_connections_checkpoint_themselves_only_as_a_safety_net(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        limit = connection.exec_driver_sql("PRAGMA journal_size_limit").scalar()
    assert pages == checkpoint.AUTOCHECKPOINT_PAGES
    assert limit == checkpoint.JOURNAL_SIZE_LIMIT


def _threads_for(path: str) -> int:
    return sum(t.name == f"sqlite-checkpoint {path}" for t in threading.enumerate())


def test_one_thread_per_process_and_a_new_one_after_a_fork(tmp_path):
    path = str(tmp_path / "own.db")
    sqlite3.connect(path).close()
    checkpointer = checkpoint.Checkpointer(path, interval=0.01)
    try:
        checkpointer.ensure_running()
        checkpointer.ensure_running()
        assert _threads_for(path) == 1

        checkpointer._pid = -1  # what a forked worker sees: the parent's pid, not its own
        checkpointer.ensure_running()
        assert _threads_for(path) == 2
        assert _wait_for(lambda: checkpointer.completed > 0)
    finally:
        checkpointer.stop()
    assert _wait_for(lambda: _threads_for(path) == 0)


def test_the_thread_never_creates_a_database_file(tmp_path, caplog):
    path = tmp_path / "missing.db"
    checkpointer = checkpoint.Checkpointer(str(path), interval=0.01)
    checkpointer.ensure_running()
    assert _wait_for(lambda: _threads_for(str(path)) == 0)
    assert not path.exists()


@pytest.mark.parametrize(
    ("url", "seconds"),
    [
        ("sqlite://", 0.05),  # in memory: no log to copy
        ("sqlite:///{tmp}/off.db", 0),  # switched off
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", 0.05),
    ],
)
def test_no_thread_where_there_is_nothing_to_checkpoint(tmp_path, url, seconds):
    app = Flask("probe")
    app.config["SQLITE_CHECKPOINT_SECONDS"] = seconds
    engine = create_engine(url.format(tmp=tmp_path))
    checkpoint.init_app(app, engine)
    assert "sqlite_checkpointer" not in app.extensions
    assert not app.before_request_funcs


def test_a_file_database_gets_one(tmp_path):
    app = Flask("probe")
    app.config["SQLITE_CHECKPOINT_SECONDS"] = 0.05
    engine = create_engine(f"sqlite:///{tmp_path}/on.db")
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    checkpoint.init_app(app, engine)
    assert app.extensions["sqlite_checkpointer"].interval == 0.05
    assert app.before_request_funcs[None] == [app.extensions["sqlite_checkpointer"].ensure_running]
