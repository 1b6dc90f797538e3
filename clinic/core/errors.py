"""Every error leaves as ``application/problem+json`` (RFC 9457).

Services raise ``Problem`` (or its helpers); Flask's own HTTP errors, webargs
validation errors and unexpected exceptions are converted by the handlers that
``clinic.core.api.ProblemApi`` registers. No stack trace ever reaches a client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An error with an HTTP status, meant for the client."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.type = type_
        self.headers = dict(headers or {})
        self.extra = extra


def validation_problem(errors: Mapping[str, list[str]], detail: str | None = None) -> Problem:
    return Problem(
        422,
        detail or "The request has invalid fields: " + ", ".join(sorted(errors)) + ".",
        title="Unprocessable Content",
        type_="/problems/validation-error",
        errors=dict(errors),
    )


def not_found(resource: str) -> Problem:
    return Problem(404, f"No such {resource}.", title="Not Found", type_="/problems/not-found")


def conflict(detail: str, *, type_: str = "/problems/conflict", **extra: Any) -> Problem:
    return Problem(409, detail, title="Conflict", type_=type_, **extra)


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into ``{"a.0.b": [...]}`` by field path."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(value, path))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    return {prefix or "_schema": [str(messages)]}


def webargs_messages_to_errors(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    """webargs nests messages by location (json, query, headers); clients know fields."""
    errors: dict[str, list[str]] = {}
    for location_messages in messages.values():
        errors.update(flatten_messages(location_messages))
    return errors


class ProblemSchema(ma.Schema):
    """The error body (documentation only; errors are built by the handlers)."""

    type = ma.fields.String(required=True, metadata={"description": "A URI naming the problem"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Validation messages by field path (422 only)"},
    )
    unmet = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Unmet workflow requirements (409 on transitions)"},
    )
    allowed_transitions = ma.fields.List(
        ma.fields.String(), metadata={"description": "Where the episode may move (409 only)"}
    )
    request_id = ma.fields.String()
