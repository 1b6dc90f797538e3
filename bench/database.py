"""A fresh database per data set: a SQLite file under bench/.work/, or a PostgreSQL schema.

On PostgreSQL the benchmark owns one schema (``bench`` by default) and reaches it
through ``search_path`` in the URL, so the migrations, the seed and the servers
all land there and no other schema of the database is ever touched.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL

WORK_DIR = Path(__file__).resolve().parent / ".work"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Target:
    """Where one data set lives: the URL the app, the floor and the seed use."""

    kind: str  # "sqlite" or "postgresql"
    url: str  # rendered with its password, for DATABASE_URL
    label: str  # the file or the schema, for the report
    schema: str | None = None
    admin_url: str | None = None  # PostgreSQL without the search_path option
    path: Path | None = None


def _ignore_work_dir() -> None:
    # bench/.work holds databases of a few GB; keep it out of git without editing .gitignore.
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    marker = WORK_DIR / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n")


def prepare(database_url: str | None, name: str) -> Target:
    """A new, empty database for the data set ``name`` (an old one of that name is removed)."""
    if not database_url:
        _ignore_work_dir()
        path = WORK_DIR / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return Target(kind="sqlite", url=f"sqlite:///{path}", label=str(path), path=path)
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"--database-url: only PostgreSQL is supported, got {url.drivername}")
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    schema = name.replace("-", "_")
    if not _SCHEMA_NAME.match(schema):
        raise SystemExit(f"not a usable schema name: {schema!r}")
    admin = url.difference_update_query(["options"])
    _run_admin(admin, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
    scoped = admin.update_query_dict({"options": f"-csearch_path={schema}"})
    return Target(
        kind="postgresql",
        url=_render(scoped),
        label=f"schema {schema} of {admin.render_as_string(hide_password=True)}",
        schema=schema,
        admin_url=_render(admin),
    )


def discard(target: Target) -> None:
    """Remove the data set (the file, or the schema with everything in it)."""
    if target.kind == "sqlite" and target.path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target.path}{suffix}").unlink(missing_ok=True)
    elif target.schema and target.admin_url:
        _run_admin(make_url(target.admin_url), f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE')


def server_version(target: Target) -> str:
    if target.kind == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(target.url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def size_bytes(target: Target) -> int | None:
    """The data set's size on disk, for the report."""
    if target.kind == "sqlite" and target.path is not None:
        return target.path.stat().st_size  # the database file, without its WAL
    engine = create_engine(target.url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": target.schema},
                ).scalar()
            )
    finally:
        engine.dispose()


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _run_admin(url: URL, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def redact(database_url: str) -> str:
    """The URL without its password, for the report."""
    return make_url(database_url).render_as_string(hide_password=True)
