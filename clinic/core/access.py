"""Authorization declared on each route and checked here, in one place.

Every view method carries ``@access(...)`` (or ``@public``) as its outermost
decorator. It authenticates the bearer credential, scopes the database session
to the caller's clinic, checks the role or API scope, applies
``Idempotency-Key`` to POSTs, and documents the security requirement in the
OpenAPI spec. A test walks the URL map and fails on any route without it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from clinic.core import idempotency
from clinic.core.errors import Problem
from clinic.core.principal import API_CLIENT, Principal
from clinic.core.tenancy import set_clinic

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "_clinic_access"


def unauthorized(detail: str = "A valid bearer token is required.") -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="clinic"'})


def forbidden(detail: str = "Your role or scopes do not allow this.") -> Problem:
    return Problem(403, detail, type_="/problems/forbidden")


def _authenticate() -> Principal:
    # The capabilities that issue credentials also resolve them.
    from clinic.auth.tokens import resolve_bearer
    from clinic.integrations.keys import API_KEY_PREFIX, resolve_api_key

    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise unauthorized()
    if credential.startswith(API_KEY_PREFIX):
        principal = resolve_api_key(credential)
    else:
        principal = resolve_bearer(credential)
    if principal is None:
        raise unauthorized("The bearer token is invalid, expired or revoked.")
    return principal


def _allowed(principal: Principal, roles: frozenset[str], scopes: frozenset[str]) -> bool:
    if principal.role == API_CLIENT:
        return bool(scopes) and scopes <= principal.scopes
    return principal.role in roles


def _description(func: Callable[..., Any], access_text: str) -> str:
    """The docstring after its summary line, then who may call the route."""
    body = (func.__doc__ or "").strip().partition("\n")[2]
    paragraphs = [inspect.cleandoc(body)] if body.strip() else []
    return "\n\n".join([*paragraphs, access_text])


def _document(wrapper: Any, doc: dict[str, Any]) -> None:
    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    manual = wrapper._apidoc.setdefault("manual_doc", {})
    manual.update(doc)


def access(
    *,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
    audit: str | None = None,
) -> Callable[[F], F]:
    """Allow these user roles, or API clients holding all of these scopes.

    ``audit`` names the resource type recorded when the request fails (a
    successful request records its own, more precise, events).
    """
    allowed_roles = frozenset(roles)
    required_scopes = frozenset(scopes)

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.audit_resource_type = audit
            principal = _authenticate()
            g.principal = principal
            from clinic.extensions import db

            set_clinic(db.session, principal.clinic_id)
            if not _allowed(principal, allowed_roles, required_scopes):
                raise forbidden()
            if request.method == "POST":
                return idempotency.run_once(principal, lambda: func(*args, **kwargs))
            return func(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTRIBUTE, (allowed_roles, required_scopes))
        who = ", ".join(sorted(allowed_roles)) or "no user role"
        scope_text = ", ".join(sorted(required_scopes)) or "none (not open to API clients)"
        _document(
            wrapper,
            {
                "security": [{"bearerAuth": []}],
                "x-roles": sorted(allowed_roles),
                "x-scopes": sorted(required_scopes),
                "description": _description(
                    func, f"Roles: {who}. API client scopes: {scope_text}."
                ),
            },
        )
        return wrapper  # type: ignore[return-value]

    return decorator


def public(func: F) -> F:
    """A route anyone may call (login, activation, health)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    setattr(wrapper, ACCESS_ATTRIBUTE, "public")
    _document(wrapper, {"security": []})
    return wrapper  # type: ignore[return-value]
