"""flask-smorest's ``Api`` made to speak problem+json for every error."""

from __future__ import annotations

import http
import json
import logging
import traceback
from typing import Any

import marshmallow as ma
from flask import Response, g
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from clinic.core.errors import (
    PROBLEM_CONTENT_TYPE,
    Problem,
    ProblemSchema,
    webargs_messages_to_errors,
)

log = logging.getLogger(__name__)


class StrictParser(FlaskParser):
    """Unknown query parameters are refused too, not only unknown body fields:
    a misspelt filter (``?udpated_since=``) must not silently list everything."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }


# Every flask-smorest blueprint parses its arguments with this parser.
Blueprint.ARGUMENTS_PARSER = StrictParser()


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or http.HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # Same as flask-smorest's, but documented with the problem+json media type.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error, as problem+json", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def _register_error_handlers(self) -> None:
        self._app.register_error_handler(HTTPException, self.handle_http_exception)
        self._app.register_error_handler(Problem, handle_problem)
        self._app.register_error_handler(StaleDataError, handle_stale_data)
        self._app.register_error_handler(OperationalError, database_unavailable)
        self._app.register_error_handler(Exception, handle_unexpected)

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        headers = dict(data.get("headers") or {})
        if status == 422 and "messages" in data:
            errors = webargs_messages_to_errors(data["messages"])
            return problem_response(
                422,
                "The request has invalid fields: " + ", ".join(sorted(errors)) + ".",
                title="Unprocessable Content",
                type_="/problems/validation-error",
                errors=errors,
                headers=headers,
            )
        if status == 400 and "messages" in data:
            # webargs answers 400 for a body that is not JSON at all.
            return problem_response(400, "The request body is not valid JSON.", headers=headers)
        if status == 405:
            headers.setdefault("Allow", ", ".join(getattr(error, "valid_methods", None) or []))
        detail = data.get("message") or error.description or http.HTTPStatus(status).phrase
        return problem_response(status, str(detail), headers=headers)


def handle_problem(error: Problem) -> Response:
    return problem_response(
        error.status,
        error.detail,
        title=error.title,
        type_=error.type,
        headers=error.headers,
        **error.extra,
    )


def handle_stale_data(error: StaleDataError) -> Response:
    # Someone else changed the row between our read and our write.
    return problem_response(
        412,
        "The resource was changed by another request; fetch it again and retry.",
        type_="/problems/stale-version",
    )


def database_unavailable(error: OperationalError) -> Response:
    """A 503 the client may retry: a lock not granted in time, a lost connection."""
    # The type only: the message may quote the statement's parameters.
    log.error("database error: %s (request %s)", type(error.orig).__name__, g.get("request_id"))
    response = problem_response(503, "The database is unavailable; retry shortly.")
    response.headers["Retry-After"] = "5"
    return response


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):  # pragma: no cover - handled above
        return problem_response(error.code or 500, str(error.description))
    # The type and the frames only: messages (SQL parameters, values) may quote
    # clinical content, which never goes to the logs.
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("unhandled %s (request %s)\n%s", type(error).__name__, g.get("request_id"), frames)
    return problem_response(500, "An unexpected error occurred; it has been logged.")
