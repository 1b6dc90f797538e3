"""What happens around every request: ids, the transaction, audit, headers.

One transaction per request: a successful response commits everything the
request did (the change, its audit events, change-feed rows and idempotency
record) at once; an error response rolls it all back and then records the
failure in the audit trail.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, request
from sqlalchemy.exc import IntegrityError, OperationalError

from clinic.core import audit, idempotency
from clinic.core.api import problem_response
from clinic.extensions import db

log = logging.getLogger("clinic.requests")

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _begin_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.client_address = (request.remote_addr or "")[:64] or None


def _finish_request(response: Response) -> Response:
    session = db.session
    principal = g.get("principal")
    try:
        if response.status_code < 400:
            g.pop("idempotency_record_id", None)
            audit.write_pending(session, principal, response.status_code)
            session.commit()
        else:
            session.rollback()
            idempotency.release_after_failure(session)
            audit.write_pending(session, principal, response.status_code)
            session.commit()
    except IntegrityError:
        session.rollback()
        response = problem_response(
            409, "The change conflicts with existing data.", type_="/problems/conflict"
        )
    except OperationalError as error:
        session.rollback()
        log.error("database error at commit: %s (request %s)", type(error).__name__, g.request_id)
        response = problem_response(503, "The database is unavailable; retry shortly.")
        response.headers["Retry-After"] = "5"
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    log.info(
        "%s %s %s request=%s", request.method, request.path, response.status_code, g.request_id
    )
    return response


def init_app(app: Flask) -> None:
    app.before_request(_begin_request)
    app.after_request(_finish_request)
