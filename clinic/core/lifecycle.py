"""What happens around every request: ids, the transaction, audit, headers.

One transaction per request: a successful response commits everything the
request did (the change, its audit events, change-feed rows and idempotency
record) at once; an error response rolls it all back and then records the
failure in the audit trail. Either way the response leaves only after its
audit rows are committed: if they cannot be written, the client gets a 503,
not the data.

On SQLite a safe-method request reads in its own transaction and writes its
bookkeeping in a second, short one, so that reads of several workers run in
parallel (see ``clinic.core.database``); a read has no change to be atomic
with, so nothing is lost by the split.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import Executable
from sqlalchemy.exc import IntegrityError, OperationalError

from clinic.core import audit, database, idempotency
from clinic.core.api import database_unavailable, problem_response
from clinic.extensions import db

log = logging.getLogger("clinic.requests")

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def defer_write(statement: Executable, parameters: dict[str, Any]) -> None:
    """Run a bookkeeping write (a credential's last use) with the request's audit rows."""
    g.setdefault("deferred_writes", []).append((statement, parameters))


def _begin_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.client_address = (request.remote_addr or "")[:64] or None
    database.start_reading(request.method in SAFE_METHODS)


def _write_bookkeeping(session: Any, status_code: int) -> None:
    database.start_reading(False)
    for statement, parameters in g.pop("deferred_writes", []):
        session.connection().execute(statement, parameters)
    audit.write_pending(session, g.get("principal"), status_code)
    session.commit()


def _finish_request(response: Response) -> Response:
    session = db.session
    try:
        if response.status_code < 400:
            g.pop("idempotency_record_id", None)
            if request.method in SAFE_METHODS and database.reads_apart_from_writes(session):
                session.commit()  # ends the read transaction; it wrote nothing
        else:
            session.rollback()
            database.start_reading(False)
            idempotency.release_after_failure(session)
        _write_bookkeeping(session, response.status_code)
    except IntegrityError:
        session.rollback()
        response = problem_response(
            409, "The change conflicts with existing data.", type_="/problems/conflict"
        )
    except OperationalError as error:
        session.rollback()
        response = database_unavailable(error)
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    log.info(
        "%s %s %s request=%s", request.method, request.path, response.status_code, g.request_id
    )
    return response


def _reset(_: BaseException | None) -> None:
    database.start_reading(False)


def init_app(app: Flask) -> None:
    app.before_request(_begin_request)
    app.after_request(_finish_request)
    app.teardown_request(_reset)
