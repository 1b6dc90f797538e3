"""Strong ETags from the version column, and the ``If-Match`` precondition."""

from __future__ import annotations

from flask import request

from clinic.core.errors import Problem


def etag_for(version: int) -> str:
    return f'"{version}"'


def etag_header(version: int) -> dict[str, str]:
    return {"ETag": etag_for(version)}


def require_if_match(current_version: int) -> None:
    """428 without ``If-Match``; 412 when it names another version."""
    header = request.headers.get("If-Match")
    if header is None:
        raise Problem(
            428,
            "This change needs an If-Match header with the resource's ETag.",
            type_="/problems/precondition-required",
        )
    candidates = [c.strip() for c in header.split(",")]
    if "*" in candidates or etag_for(current_version) in candidates:
        return
    raise Problem(
        412,
        "The resource has changed since you read it; fetch it again and retry.",
        type_="/problems/stale-version",
    )
