"""SQL statements per request, counted in-process on the same database.

Each endpoint's first request is sent twice through Flask's test client and
the second is counted (the first warms what a long-running worker has warm:
the token's last-use touch, the pool). ``BEGIN`` (``BEGIN IMMEDIATE``) is not
counted: on SQLite the app issues it itself, on PostgreSQL the driver does, so
counting it would make the databases disagree about the same code; the tests'
counter skips it too. Savepoints count: they are round trips.

The same in-process app logs in once per role; the bearer tokens are stored in
the database, so the load runs reuse them against gunicorn.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from bench.load import Request

SQL_PREVIEW = 240


@dataclass
class Count:
    statements: int
    status: int
    sql: list[str]


class _Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Transaction control (the app's explicit BEGIN IMMEDIATE on SQLite) is not a query.
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.statements.append(_preview(statement))


def _preview(statement: str) -> str:
    """The statement on one line, its column lists elided: what it reads and how it filters."""
    flat = " ".join(statement.split())
    flat = re.sub(r"^SELECT (?!count).*? FROM ", "SELECT ... FROM ", flat, flags=re.IGNORECASE)
    flat = re.sub(r"^(INSERT INTO \S+) \(.*?\) VALUES .*", r"\1 (...) VALUES (...)", flat)
    return flat[:SQL_PREVIEW]


def log_in(app: Any, logins: dict[str, str], password: str) -> dict[str, str]:
    """A bearer token per role (login is argon2: once per role, reused by every run)."""
    client = app.test_client()
    tokens = {}
    for role, email in logins.items():
        response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
        if response.status_code != 201:
            raise RuntimeError(f"login as {role} failed: {response.status_code} {response.data!r}")
        tokens[role] = response.get_json()["access_token"]
    return tokens


def count(app: Any, requests: dict[str, Request]) -> dict[str, Count]:
    from clinic.extensions import db

    client = app.test_client()
    with app.app_context():
        engine = db.engine
    counts = {}
    for name, request in requests.items():
        _send(client, request)
        counter = _Counter()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            response = _send(client, request)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        if response.status_code >= 300:
            detail = json.dumps(response.get_json(silent=True))[:300]
            raise RuntimeError(
                f"{name}: {request.method} {request.path} -> {response.status_code} {detail}"
            )
        counts[name] = Count(len(counter.statements), response.status_code, counter.statements)
    return counts


def _send(client: Any, request: Request) -> Any:
    return client.open(
        request.path,
        method=request.method,
        headers=request.headers,
        data=request.body.encode() if request.body is not None else None,
    )
