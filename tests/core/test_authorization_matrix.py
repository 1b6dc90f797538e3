"""Authorization as a matrix: every API route x every role x a foreign clinic.

The routes come from the app's URL map, and what each role may do comes from
the route's own ``@access(...)`` declaration, so a new route is covered the
moment it is registered: it fails here if it declares nothing, if it lets an
anonymous or undeclared caller in, or if it answers anything but 404 for an
object of another clinic.

When a new route has a path parameter this file does not know, the matrix
fails and says where to add it (``PATH_PARAMETERS`` and the ids in the
``callers`` fixture). Routes with a request body get ``{}`` unless
``KNOWN_REQUESTS`` gives a minimal valid one and the exact success status.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from clinic.core.access import ACCESS_ATTRIBUTE
from clinic.core.principal import ADMIN, CLINICIAN, PATIENT
from clinic.extensions import db

API_PREFIX = "/api/v1"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PROBLEM = "application/problem+json"
THIS_FILE = "tests/core/test_authorization_matrix.py"

# Anyone may call these; every other API route needs a credential.
PUBLIC_ROUTES = frozenset({("POST", "/api/v1/auth/token")})
KNOWN_ROLES = frozenset({ADMIN, CLINICIAN, PATIENT})
KNOWN_SCOPES = frozenset(
    {
        "patients:read",
        "patients:write",
        "clinical:read",
        "clinical:write",
        "programs:read",
        "programs:write",
        "changes:read",
        "fhir:read",
        "webhooks:manage",
    }
)
# The path parameters the matrix can fill, each with an id of the caller's own
# clinic and one of another clinic (see the ``callers`` fixture).
PATH_PARAMETERS = frozenset({"patient_id", "user_id", "episode_id", "assessment_id"})

PATIENT_BODY = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birth_date": "1985-12-10",
    "sex": "female",
}
STAFF_BODY = {
    "email": "new.staff@example.test",
    "name": "New Staff",
    "role": "clinician",
    "password": "a long enough password",
}
EPISODE_BODY = {"title": "Lateral hip pain", "side": "right"}
ASSESSMENT_BODY = {"kind": "initial", "performed_at": "2026-01-05T09:30:00Z"}


@dataclass(frozen=True)
class KnownRequest:
    """A minimal valid request for a route and the status an allowed caller gets."""

    status: int
    json: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)


# Every request is sent with ``If-Match: *`` so that versioned writes go through.
KNOWN_REQUESTS: dict[tuple[str, str], KnownRequest] = {
    ("DELETE", "/api/v1/auth/token"): KnownRequest(204),
    ("GET", "/api/v1/me"): KnownRequest(200),
    ("GET", "/api/v1/audit-events"): KnownRequest(200),
    ("GET", "/api/v1/users"): KnownRequest(200),
    ("POST", "/api/v1/users"): KnownRequest(201, json=STAFF_BODY),
    ("GET", "/api/v1/users/<uuid:user_id>"): KnownRequest(200),
    ("PATCH", "/api/v1/users/<uuid:user_id>"): KnownRequest(200, json={"name": "Renamed"}),
    ("GET", "/api/v1/patients"): KnownRequest(200),
    ("POST", "/api/v1/patients"): KnownRequest(201, json=PATIENT_BODY),
    ("PUT", "/api/v1/patients/by-identifier"): KnownRequest(
        201, json=PATIENT_BODY, query={"system": "urn:test:pms", "value": "PMS-1"}
    ),
    ("GET", "/api/v1/patients/<uuid:patient_id>"): KnownRequest(200),
    ("PATCH", "/api/v1/patients/<uuid:patient_id>"): KnownRequest(
        200, json={"phone": "+44 20 7946 0000"}
    ),
    ("DELETE", "/api/v1/patients/<uuid:patient_id>"): KnownRequest(204),
    ("GET", "/api/v1/patients/<uuid:patient_id>/episodes"): KnownRequest(200),
    ("POST", "/api/v1/patients/<uuid:patient_id>/episodes"): KnownRequest(201, json=EPISODE_BODY),
    ("GET", "/api/v1/episodes/<uuid:episode_id>"): KnownRequest(200),
    ("PATCH", "/api/v1/episodes/<uuid:episode_id>"): KnownRequest(200, json={"title": "Renamed"}),
    ("GET", "/api/v1/episodes/<uuid:episode_id>/transitions"): KnownRequest(200),
    ("POST", "/api/v1/episodes/<uuid:episode_id>/transitions"): KnownRequest(
        200, json={"to": "on_hold", "reason": "Travelling for a month."}
    ),
    ("GET", "/api/v1/episodes/<uuid:episode_id>/assessments"): KnownRequest(200),
    ("POST", "/api/v1/episodes/<uuid:episode_id>/assessments"): KnownRequest(
        201, json=ASSESSMENT_BODY
    ),
    ("GET", "/api/v1/episodes/<uuid:episode_id>/progress"): KnownRequest(
        200, query={"metric": "pain.nrs.rest"}
    ),
    ("GET", "/api/v1/assessments/<uuid:assessment_id>"): KnownRequest(200),
    ("PATCH", "/api/v1/assessments/<uuid:assessment_id>"): KnownRequest(
        200, json={"notes": "Reassessed."}
    ),
    ("POST", "/api/v1/assessments/<uuid:assessment_id>/finalize"): KnownRequest(200),
    ("GET", "/api/v1/metrics"): KnownRequest(200),
}


# --- the routes --------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    endpoint: str
    arguments: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.rule)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def api_routes(app: Flask) -> list[Route]:
    """Every (method, rule) under the API prefix, HEAD and OPTIONS aside."""
    routes = [
        Route(method, rule.rule, rule.endpoint, tuple(sorted(rule.arguments)))
        for rule in app.url_map.iter_rules()
        if rule.rule == API_PREFIX or rule.rule.startswith(API_PREFIX + "/")
        for method in sorted((rule.methods or set()) - IGNORED_METHODS)
    ]
    return sorted(routes, key=lambda r: (r.rule, r.method))


def view_method(app: Flask, route: Route) -> Callable[..., Any] | None:
    """The function that answers: the MethodView's method, or the plain view."""
    view = app.view_functions[route.endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    return getattr(view_class, route.method.lower(), None)


def declared_access(app: Flask, route: Route) -> Any:
    """``"public"``, ``(roles, scopes)``, or None when the route declares nothing."""
    return getattr(view_method(app, route), ACCESS_ATTRIBUTE, None)


def declared_roles(app: Flask, route: Route) -> frozenset[str]:
    access = declared_access(app, route)
    assert isinstance(access, tuple), f"{route} has no @access declaration"
    return access[0]


@functools.cache
def _routes_for_collection() -> tuple[Route, ...]:
    """The route table, before any fixture exists, for parametrizing.

    A throwaway app (no database is touched) gives the same URL map as the
    ``app`` fixture; ``test_parametrized_routes_are_the_apps_routes`` checks it.
    """
    from clinic import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    return tuple(api_routes(app))


def _protected_routes() -> list[Route]:
    return [r for r in _routes_for_collection() if r.key not in PUBLIC_ROUTES]


def _route_params() -> list[Any]:
    return [pytest.param(route, id=str(route)) for route in _protected_routes()]


# --- the callers -------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    role: str
    headers: dict[str, str]
    own_ids: dict[str, uuid.UUID]  # path parameter -> an id of the caller's clinic
    foreign_ids: dict[str, uuid.UUID]  # path parameter -> an id of another clinic


CALLERS = ("admin", "clinician", "patient", "other_clinic_admin")


def _created_id(client: FlaskClient, path: str, body: dict[str, Any], actor) -> uuid.UUID:
    response = client.post(path, json=body, headers=actor.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return uuid.UUID(response.get_json()["id"])


def _clinical_record(client: FlaskClient, actor, patient_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """An episode of care and a draft assessment, made through the API."""
    episode_id = _created_id(client, f"/api/v1/patients/{patient_id}/episodes", EPISODE_BODY, actor)
    assessment_id = _created_id(
        client, f"/api/v1/episodes/{episode_id}/assessments", ASSESSMENT_BODY, actor
    )
    return {"episode_id": episode_id, "assessment_id": assessment_id}


@pytest.fixture
def callers(client, world, factory) -> dict[str, Caller]:
    patient_user = factory.user(world.clinic_id, PATIENT, patient_id=world.patient_id)
    other_clinician = factory.user(world.other_clinic_id, CLINICIAN)
    ours = {
        "patient_id": world.patient_id,
        "user_id": world.clinician.id,
        **_clinical_record(client, world.clinician, world.patient_id),
    }
    theirs = {
        "patient_id": world.other_patient_id,
        "user_id": other_clinician.id,
        **_clinical_record(client, other_clinician, world.other_patient_id),
    }
    assert set(ours) == set(theirs) == PATH_PARAMETERS
    return {
        "admin": Caller(ADMIN, world.admin.headers, ours, theirs),
        "clinician": Caller(CLINICIAN, world.clinician.headers, ours, theirs),
        "patient": Caller(PATIENT, patient_user.headers, ours, theirs),
        "other_clinic_admin": Caller(ADMIN, world.other_admin.headers, theirs, ours),
    }


# --- requests and assertions -------------------------------------------------


def _path(app: Flask, route: Route, ids: dict[str, uuid.UUID]) -> str:
    unknown = sorted(set(route.arguments) - PATH_PARAMETERS)
    if unknown:
        pytest.fail(
            f"{route} has path parameter(s) {unknown} that the authorization matrix cannot "
            f"fill. Add each to PATH_PARAMETERS in {THIS_FILE}, with an id of the caller's "
            "clinic and one of another clinic in the `callers` fixture."
        )
    with app.test_request_context():
        return url_for(route.endpoint, **{name: ids[name] for name in route.arguments})


def send(
    client: FlaskClient,
    app: Flask,
    route: Route,
    ids: dict[str, uuid.UUID],
    headers: dict[str, str] | None = None,
) -> TestResponse:
    known = KNOWN_REQUESTS.get(route.key)
    body = known.json if known else None
    if body is None and route.method in BODY_METHODS:
        body = {}
    return client.open(
        _path(app, route, ids),
        method=route.method,
        headers={"If-Match": "*", **(headers or {})},
        query_string=known.query if known else None,
        json=body,
    )


def assert_problem(response: TestResponse, status: int, **fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(body["detail"], str) and body["detail"]
    for name, value in fields.items():
        assert body[name] == value, f"{name}: {body[name]!r} != {value!r}"
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def assert_unauthorized(response: TestResponse, detail: str) -> None:
    body = assert_problem(response, 401, type="about:blank", title="Unauthorized")
    assert body["detail"] == detail
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="clinic"'


NO_TOKEN = "A valid bearer token is required."
BAD_TOKEN = "The bearer token is invalid, expired or revoked."


def database_snapshot(app: Flask, *, ignore: frozenset[str] = frozenset()) -> dict[str, list]:
    """Every row of every table, read past the tenancy scoping."""
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: sorted(map(repr, connection.execute(select(table))))
            for table in db.metadata.sorted_tables
            if table.name not in ignore
        }


# Refusals of an authenticated caller are audited; nothing else may change.
AUDIT_TABLES = frozenset({"audit_events"})


# --- (a) declarations --------------------------------------------------------


def test_every_api_route_declares_who_may_call_it(app):
    undeclared = [str(r) for r in api_routes(app) if declared_access(app, r) is None]

    assert undeclared == [], (
        "these routes have no @access(...) or @public as their outermost decorator "
        f"(clinic.core.access): {undeclared}"
    )


def test_public_api_routes_are_exactly_the_allowlisted_ones(app):
    public = {r.key for r in api_routes(app) if declared_access(app, r) == "public"}

    assert public == PUBLIC_ROUTES, (
        f"a route became public or stopped being so; if intended, update PUBLIC_ROUTES in {THIS_FILE}"
    )


def test_declarations_name_only_known_roles_and_scopes(app):
    for route in api_routes(app):
        access = declared_access(app, route)
        if not isinstance(access, tuple):  # public, or undeclared (reported above)
            continue
        roles, scopes = access
        assert roles, f"{route} allows no user role at all"
        assert roles <= KNOWN_ROLES, f"{route} names unknown roles {sorted(roles - KNOWN_ROLES)}"
        assert scopes <= KNOWN_SCOPES, (
            f"{route} names unknown scopes {sorted(scopes - KNOWN_SCOPES)}"
        )


def test_patients_may_only_reach_me_routes_and_logout(app):
    for route in api_routes(app):
        access = declared_access(app, route)
        if not isinstance(access, tuple) or PATIENT not in access[0]:
            continue
        is_me = route.rule == f"{API_PREFIX}/me" or route.rule.startswith(f"{API_PREFIX}/me/")
        assert is_me or route.key == ("DELETE", "/api/v1/auth/token"), (
            f"{route} is open to the patient role; patients only use /me routes"
        )


def test_parametrized_routes_are_the_apps_routes(app):
    assert list(_routes_for_collection()) == api_routes(app)


# --- (b) anonymous -----------------------------------------------------------


@pytest.mark.parametrize("route", _route_params())
def test_anonymous_request_is_refused_with_401_and_writes_nothing(app, client, callers, route):
    before = database_snapshot(app)

    response = send(client, app, route, callers["admin"].own_ids)

    assert_unauthorized(response, NO_TOKEN)
    assert database_snapshot(app) == before


# --- (c) invalid credentials -------------------------------------------------


@pytest.fixture
def revoked_token(client, factory, world) -> str:
    actor = factory.user(world.clinic_id, ADMIN)
    assert client.delete("/api/v1/auth/token", headers=actor.headers).status_code == 204
    return actor.token


@pytest.fixture
def deactivated_users_token(factory, world) -> str:
    return factory.user(world.clinic_id, CLINICIAN, active=False).token


@pytest.mark.parametrize("route", _route_params())
def test_invalid_credentials_are_refused_with_401_and_write_nothing(
    app, client, world, callers, revoked_token, deactivated_users_token, route
):
    ids = callers["admin"].own_ids
    attempts = {
        "unknown token": (f"Bearer hrt_{uuid.uuid4().hex}", BAD_TOKEN),
        "not one of our tokens": ("Bearer not-a-token", BAD_TOKEN),
        "revoked token": (f"Bearer {revoked_token}", BAD_TOKEN),
        "deactivated user's token": (f"Bearer {deactivated_users_token}", BAD_TOKEN),
        "empty bearer": ("Bearer ", NO_TOKEN),
        "another scheme": (f"Basic {world.admin.token}", NO_TOKEN),
    }
    before = database_snapshot(app)

    for name, (authorization, detail) in attempts.items():
        response = send(client, app, route, ids, {"Authorization": authorization})
        try:
            assert_unauthorized(response, detail)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from error

    assert database_snapshot(app) == before


# --- (d) roles x clinics -----------------------------------------------------


@pytest.mark.parametrize("caller_name", CALLERS)
@pytest.mark.parametrize("route", _route_params())
def test_role_gets_exactly_what_the_route_declares(app, client, callers, route, caller_name):
    caller = callers[caller_name]
    allowed = caller.role in declared_roles(app, route)

    if not allowed:
        before = database_snapshot(app, ignore=AUDIT_TABLES)
        response = send(client, app, route, caller.own_ids, caller.headers)
        assert_problem(response, 403, type="/problems/forbidden", title="Forbidden")
        assert database_snapshot(app, ignore=AUDIT_TABLES) == before
        return

    if route.arguments:
        # Another clinic's object does not exist for this caller: 404, never 403 or 200.
        before = database_snapshot(app, ignore=AUDIT_TABLES)
        response = send(client, app, route, caller.foreign_ids, caller.headers)
        if response.status_code == 422 and route.key not in KNOWN_REQUESTS:
            pytest.fail(
                f"{route} refused the matrix's empty body (422) before looking the object up; "
                f"add a minimal valid request for it to KNOWN_REQUESTS in {THIS_FILE}."
            )
        assert_problem(response, 404, type="/problems/not-found", title="Not Found")
        assert database_snapshot(app, ignore=AUDIT_TABLES) == before

    response = send(client, app, route, caller.own_ids, caller.headers)
    known = KNOWN_REQUESTS.get(route.key)
    if known is not None:
        assert response.status_code == known.status, response.get_data(as_text=True)
        if response.status_code != 204:
            assert response.mimetype == "application/json"
    else:
        # A route this file has no request for: at least, auth let the caller in.
        assert response.status_code not in (401, 403, 404), response.get_data(as_text=True)
        assert response.status_code < 500, response.get_data(as_text=True)
