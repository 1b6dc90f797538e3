"""Authorization as a matrix: every API route x every role x a foreign clinic.

The routes come from the app's URL map, and what each role may do comes from
the route's own ``@access(...)`` declaration, so a new route is covered the
moment it is registered: it fails here if it declares nothing, if it lets an
anonymous or undeclared caller in, or if it answers anything but 404 for an
object of another clinic.

The callers are our clinic's admin, clinician and patient (a patient-role
user), the other clinic's admin, and two API clients of our clinic, one with
every scope and one with the read scopes only. Each allowed caller is sent to
an object of another clinic (404, never 403 or 200) and to one of its own
(anything but 401, 403 or 404, and the exact status where ``KNOWN_REQUESTS``
knows the route); every other caller gets 403. Refused requests write nothing
but their audit event; anonymous ones and bad credentials write nothing.

When a new route has a path parameter this file does not know, the matrix
fails and says where to add it (``MAKERS``). Routes with a request body get
``{}`` unless ``KNOWN_REQUESTS`` gives a minimal valid one and the status an
allowed caller gets.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from clinic.core.access import ACCESS_ATTRIBUTE
from clinic.core.principal import ADMIN, API_CLIENT, CLINICIAN, PATIENT
from clinic.extensions import db
from clinic.running.models import RunLog, RunPlan

API_PREFIX = "/api/v1"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PROBLEM = "application/problem+json"
THIS_FILE = "tests/core/test_authorization_matrix.py"

# Anyone may call these; every other API route needs a credential.
PUBLIC_ROUTES = frozenset(
    {("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/patient-activation")}
)
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
READ_SCOPES = frozenset(scope for scope in KNOWN_SCOPES if scope.endswith(":read"))

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
EXERCISE_BODY = {
    "name": "Side-lying hip abduction",
    "category": "strengthening_gluteal",
    "instructions": "Lift the top leg slowly, keep the pelvis still.",
    "default_sets": 3,
    "default_reps": 12,
}
ASSESSMENT_BODY = {"kind": "initial", "performed_at": "2026-01-05T09:30:00Z"}
API_CLIENT_BODY = {"name": "Practice system", "scopes": ["patients:read"]}
WEBHOOK_BODY = {"url": "https://pms.example.test/hooks", "events": ["patient.created"]}
GOAL_BODY = {
    "term": "short",
    "description": "Run 20 minutes without pain",
    "metric": "pain.nrs.running",
    "baseline_value": 6,
    "target_value": 2,
    "comparator": "<=",
    "due_date": (date.today() + timedelta(weeks=4)).isoformat(),
    "rationale": "Pain settles with load management within four weeks.",
}
RUN_BODY = {
    "date": "2026-01-12",
    "walk_minutes": 2,
    "run_minutes": 3,
    "distance_km": 3.5,
    "duration_minutes": 30,
    "surface": "road",
    "pain_during": 2,
}


@dataclass(frozen=True)
class KnownRequest:
    """A minimal valid request for a route and the status an allowed caller gets.

    ``json`` may be a function of the objects and the caller's clinic (for a
    body naming objects); ``setup`` makes what the route needs beyond its path.
    """

    status: int
    json: dict[str, Any] | Callable[[Objects, str], dict[str, Any]] | None = None
    query: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Objects, str], object] | None = None


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
    ("GET", "/api/v1/api-clients"): KnownRequest(200),
    ("POST", "/api/v1/api-clients"): KnownRequest(201, json=API_CLIENT_BODY),
    ("GET", "/api/v1/api-clients/<uuid:client_id>"): KnownRequest(200),
    ("DELETE", "/api/v1/api-clients/<uuid:client_id>"): KnownRequest(204),
    ("POST", "/api/v1/api-clients/<uuid:client_id>/keys"): KnownRequest(201),
    ("DELETE", "/api/v1/api-clients/<uuid:client_id>/keys/<uuid:key_id>"): KnownRequest(204),
    ("GET", "/api/v1/changes"): KnownRequest(200),
    ("GET", "/api/v1/webhook-endpoints"): KnownRequest(200),
    ("POST", "/api/v1/webhook-endpoints"): KnownRequest(201, json=WEBHOOK_BODY),
    ("GET", "/api/v1/webhook-endpoints/<uuid:endpoint_id>"): KnownRequest(200),
    ("PATCH", "/api/v1/webhook-endpoints/<uuid:endpoint_id>"): KnownRequest(
        200, json={"events": ["patient.updated"]}
    ),
    ("DELETE", "/api/v1/webhook-endpoints/<uuid:endpoint_id>"): KnownRequest(204),
    ("GET", "/api/v1/webhook-endpoints/<uuid:endpoint_id>/deliveries"): KnownRequest(200),
    ("GET", "/api/v1/episodes/<uuid:episode_id>/return-to-run"): KnownRequest(200),
    ("GET", "/api/v1/episodes/<uuid:episode_id>/run-plan"): KnownRequest(200),
    # The episode is in intake: a plan starts in return_to_run.
    ("POST", "/api/v1/episodes/<uuid:episode_id>/run-plan"): KnownRequest(
        409, json={"start_date": "2026-01-10"}
    ),
    ("GET", "/api/v1/episodes/<uuid:episode_id>/goals"): KnownRequest(200),
    ("POST", "/api/v1/episodes/<uuid:episode_id>/goals"): KnownRequest(201, json=GOAL_BODY),
    ("GET", "/api/v1/goals/<uuid:goal_id>"): KnownRequest(200),
    ("PATCH", "/api/v1/goals/<uuid:goal_id>"): KnownRequest(
        200, json={"rationale": "Reviewed with the patient."}
    ),
    ("GET", "/api/v1/me/goals"): KnownRequest(200),
    ("GET", "/api/v1/exercises"): KnownRequest(200),
    ("POST", "/api/v1/exercises"): KnownRequest(201, json=EXERCISE_BODY),
    ("GET", "/api/v1/exercises/<uuid:exercise_id>"): KnownRequest(200),
    ("GET", "/api/v1/episodes/<uuid:episode_id>/programs"): KnownRequest(200),
    ("POST", "/api/v1/episodes/<uuid:episode_id>/programs"): KnownRequest(
        201, json=lambda objects, clinic: objects.program_body(clinic)
    ),
    ("GET", "/api/v1/programs/<uuid:program_id>"): KnownRequest(200),
    ("PATCH", "/api/v1/programs/<uuid:program_id>"): KnownRequest(
        200, json={"notes": "Twice a day if it feels easy."}
    ),
    ("POST", "/api/v1/programs/<uuid:program_id>/publish"): KnownRequest(200),
    ("GET", "/api/v1/episodes/<uuid:episode_id>/adherence"): KnownRequest(200),
    ("POST", "/api/v1/patients/<uuid:patient_id>/portal-invitations"): KnownRequest(201, json={}),
    ("GET", "/api/v1/me/program"): KnownRequest(
        200, setup=lambda objects, clinic: objects.published_program(clinic)
    ),
    ("GET", "/api/v1/me/exercise-logs"): KnownRequest(200),
    ("POST", "/api/v1/me/exercise-logs"): KnownRequest(
        201, json=lambda objects, clinic: objects.exercise_log_body(clinic)
    ),
    ("GET", "/api/v1/me/runs"): KnownRequest(200),
    # No plan in return_to_run to log against.
    ("POST", "/api/v1/me/runs"): KnownRequest(409, json=RUN_BODY),
    ("GET", "/api/v1/me/runs/<uuid:run_id>"): KnownRequest(200),
    ("PATCH", "/api/v1/me/runs/<uuid:run_id>"): KnownRequest(200, json={"notes": "Felt easy."}),
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


def declared_roles_and_scopes(app: Flask, route: Route) -> tuple[frozenset[str], frozenset[str]]:
    access = declared_access(app, route)
    assert isinstance(access, tuple), f"{route} has no @access declaration"
    return access


@functools.cache
def _collected() -> tuple[tuple[Route, bool], ...]:
    """The routes, each with whether it is public, before any fixture exists.

    A throwaway app (no database is touched) gives the same URL map as the
    ``app`` fixture; ``test_parametrized_routes_are_the_apps_routes`` checks it.
    """
    from clinic import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    return tuple((route, declared_access(app, route) == "public") for route in api_routes(app))


def _routes_for_collection() -> tuple[Route, ...]:
    return tuple(route for route, _ in _collected())


def _protected_routes() -> list[Route]:
    # Undeclared routes stay in: the matrix shows what they let through.
    return [route for route, public in _collected() if not public]


def _route_params() -> list[Any]:
    return [pytest.param(route, id=str(route)) for route in _protected_routes()]


# --- the objects and the callers ----------------------------------------------

OURS, THEIRS = "ours", "theirs"
OTHER_CLINIC = {OURS: THEIRS, THEIRS: OURS}


def _created_id(client: FlaskClient, path: str, body: dict[str, Any], actor) -> uuid.UUID:
    response = client.post(path, json=body, headers=actor.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return uuid.UUID(response.get_json()["id"])


class Objects:
    """The objects path parameters name, in our clinic and theirs, made on first use.

    Each test makes only what its route and caller need: the matrix has many
    tests and each starts from an empty database.
    """

    def __init__(self, client: FlaskClient, factory, world) -> None:
        self.client = client
        self.factory = factory
        self.world = world
        self.made: dict[tuple[str, str], Any] = {}
        self._their_clinician = None

    def ids(self, clinic: str, names: tuple[str, ...]) -> dict[str, uuid.UUID]:
        return {name: self.id(clinic, name) for name in names}

    def id(self, clinic: str, name: str) -> uuid.UUID:
        if (clinic, name) not in self.made:
            self.made.update({(clinic, k): v for k, v in MAKERS[name](self, clinic).items()})
        return self.made[(clinic, name)]

    # Who makes the objects of each clinic.
    def admin(self, clinic: str):
        return self.world.admin if clinic == OURS else self.world.other_admin

    def staff(self, clinic: str):
        """A clinician of the clinic (the world has none in theirs: one is made)."""
        if clinic == OURS:
            return self.world.clinician
        if self._their_clinician is None:
            self._their_clinician = self.factory.user(self.world.other_clinic_id, CLINICIAN)
        return self._their_clinician

    def patient(self, clinic: str) -> uuid.UUID:
        return self.world.patient_id if clinic == OURS else self.world.other_patient_id

    def api_client(self, clinic: str, scopes: frozenset[str]) -> tuple[str, dict[str, uuid.UUID]]:
        """An API client of the clinic: its key, and its and the key's ids."""
        body = {"name": "Integration", "scopes": sorted(scopes)}
        response = self.client.post(
            "/api/v1/api-clients", json=body, headers=self.admin(clinic).headers
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        issued = response.get_json()
        key = issued["key"]
        # The first use of a key stamps its last_used_at: done here, so that the
        # matrix's requests write nothing but their audit events.
        warm_up = self.client.get("/api/v1/changes", headers={"Authorization": f"Bearer {key}"})
        assert warm_up.status_code == 200, warm_up.get_data(as_text=True)
        ids = {
            "client_id": uuid.UUID(issued["client"]["id"]),
            "key_id": uuid.UUID(issued["key_id"]),
        }
        return key, ids

    def exercise(self, clinic: str) -> uuid.UUID:
        return self.id(clinic, "exercise_id")

    def program_body(self, clinic: str) -> dict[str, Any]:
        item = {
            "exercise_id": str(self.exercise(clinic)),
            "sets": 3,
            "reps": 12,
            "times_per_day": 1,
            "days_per_week": 5,
        }
        return {"start_date": date.today().isoformat(), "items": [item]}

    def published_program(self, clinic: str) -> dict[str, Any]:
        """A program published in the clinic's episode: the patient's current one."""
        if (clinic, "published_program") not in self.made:
            episode_id = self.id(clinic, "episode_id")
            actor = self.staff(clinic)
            path = f"/api/v1/episodes/{episode_id}/programs"
            response = self.client.post(path, json=self.program_body(clinic), headers=actor.headers)
            assert response.status_code == 201, response.get_data(as_text=True)
            program = response.get_json()
            publish = f"/api/v1/programs/{program['id']}/publish"
            response = self.client.post(publish, headers=actor.headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            self.made[(clinic, "published_program")] = program
        return self.made[(clinic, "published_program")]

    def exercise_log_body(self, clinic: str) -> dict[str, Any]:
        program = self.published_program(clinic)
        return {
            "date": date.today().isoformat(),
            "program_id": program["id"],
            "items": [{"program_item_id": program["items"][0]["id"], "sets_completed": 3}],
            "pain_nrs": 2,
        }


def _make_patient(objects: Objects, clinic: str) -> dict[str, uuid.UUID]:
    return {"patient_id": objects.patient(clinic)}


def _make_user(objects: Objects, clinic: str) -> dict[str, uuid.UUID]:
    return {"user_id": objects.staff(clinic).id}


def _make_clinical_record(objects: Objects, clinic: str) -> dict[str, uuid.UUID]:
    """An episode of care with a draft assessment, a goal, a walk-run plan and a run."""
    actor = objects.staff(clinic)
    patient_id = objects.patient(clinic)
    client = objects.client
    episode_id = _created_id(client, f"/api/v1/patients/{patient_id}/episodes", EPISODE_BODY, actor)
    assessment_id = _created_id(
        client, f"/api/v1/episodes/{episode_id}/assessments", ASSESSMENT_BODY, actor
    )
    goal_id = _created_id(client, f"/api/v1/episodes/{episode_id}/goals", GOAL_BODY, actor)
    # Through the API a plan and a run need the episode in return_to_run, behind
    # the workflow's gates; the rows are written directly instead.
    with objects.factory.session() as session:
        common = {"clinic_id": actor.clinic_id, "patient_id": patient_id, "episode_id": episode_id}
        session.add(RunPlan(**common, start_date=date(2026, 1, 5), created_by=actor.id))
        run = RunLog(**common, date=date(2026, 1, 6), phase=1, pain_during=2, version=1)
        session.add(run)
        session.flush()
        run_id = run.id
    return {
        "episode_id": episode_id,
        "assessment_id": assessment_id,
        "goal_id": goal_id,
        "run_id": run_id,
    }


def _make_api_client(objects: Objects, clinic: str) -> dict[str, uuid.UUID]:
    return objects.api_client(clinic, READ_SCOPES)[1]


def _make_exercise(objects: Objects, clinic: str) -> dict[str, uuid.UUID]:
    """One of the clinic's own exercises."""
    path = "/api/v1/exercises"
    return {"exercise_id": _created_id(objects.client, path, EXERCISE_BODY, objects.staff(clinic))}


def _make_program(objects: Objects, clinic: str) -> dict[str, uuid.UUID]:
    """A draft home exercise program in the clinic's episode."""
    path = f"/api/v1/episodes/{objects.id(clinic, 'episode_id')}/programs"
    body = objects.program_body(clinic)
    return {"program_id": _created_id(objects.client, path, body, objects.staff(clinic))}


def _make_webhook_endpoint(objects: Objects, clinic: str) -> dict[str, uuid.UUID]:
    endpoint_id = _created_id(
        objects.client, "/api/v1/webhook-endpoints", WEBHOOK_BODY, objects.admin(clinic)
    )
    return {"endpoint_id": endpoint_id}


# Path parameter -> how to make the object it names (and any made alongside).
MAKERS: dict[str, Callable[[Objects, str], dict[str, uuid.UUID]]] = {
    "patient_id": _make_patient,
    "user_id": _make_user,
    "episode_id": _make_clinical_record,
    "assessment_id": _make_clinical_record,
    "goal_id": _make_clinical_record,
    "run_id": _make_clinical_record,
    "client_id": _make_api_client,
    "key_id": _make_api_client,
    "endpoint_id": _make_webhook_endpoint,
    "exercise_id": _make_exercise,
    "program_id": _make_program,
}


@pytest.fixture
def objects(client, factory, world) -> Objects:
    return Objects(client, factory, world)


@dataclass(frozen=True)
class Caller:
    role: str  # a user role, or api_client
    headers: dict[str, str]
    clinic: str  # OURS or THEIRS
    scopes: frozenset[str] = frozenset()  # an API client's

    def may_call(self, access: tuple[frozenset[str], frozenset[str]]) -> bool:
        """What the route's declaration promises: a listed role, or all its scopes."""
        roles, scopes = access
        if self.role == API_CLIENT:
            return bool(scopes) and scopes <= self.scopes
        return self.role in roles


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _make_caller(name: str, objects: Objects, factory, world) -> Caller:
    if name == "admin":
        return Caller(ADMIN, world.admin.headers, OURS)
    if name == "clinician":
        return Caller(CLINICIAN, world.clinician.headers, OURS)
    if name == "patient":
        user = factory.user(world.clinic_id, PATIENT, patient_id=world.patient_id)
        return Caller(PATIENT, user.headers, OURS)
    if name == "other_clinic_admin":
        return Caller(ADMIN, world.other_admin.headers, THEIRS)
    if name == "api_client":
        key, _ = objects.api_client(OURS, KNOWN_SCOPES)
        return Caller(API_CLIENT, _bearer(key), OURS, KNOWN_SCOPES)
    if name == "read_only_api_client":
        key, _ = objects.api_client(OURS, READ_SCOPES)
        return Caller(API_CLIENT, _bearer(key), OURS, READ_SCOPES)
    raise AssertionError(f"no caller named {name}")


CALLERS = (
    "admin",
    "clinician",
    "patient",
    "other_clinic_admin",
    "api_client",
    "read_only_api_client",
)


# --- requests and assertions -------------------------------------------------


def ids_for(objects: Objects, route: Route, clinic: str) -> dict[str, uuid.UUID]:
    """Ids of the clinic's objects for the route's path parameters."""
    unknown = sorted(set(route.arguments) - set(MAKERS))
    if unknown:
        pytest.fail(
            f"{route} has path parameter(s) {unknown} that the authorization matrix cannot "
            f"fill. Add a maker for each to MAKERS in {THIS_FILE}: it makes the object in "
            "the clinic it is given (ours or theirs) and returns its id."
        )
    return objects.ids(clinic, route.arguments)


def _path(app: Flask, route: Route, ids: dict[str, uuid.UUID]) -> str:
    with app.test_request_context():
        return url_for(route.endpoint, **{name: ids[name] for name in route.arguments})


@dataclass(frozen=True)
class Prepared:
    json: Any
    query: dict[str, str] | None


def prepare(objects: Objects, route: Route, clinic: str) -> Prepared:
    """The route's request body and query, and its set-up, for a caller of the clinic."""
    known = KNOWN_REQUESTS.get(route.key)
    if known is None:
        return Prepared({} if route.method in BODY_METHODS else None, None)
    if known.setup is not None:
        known.setup(objects, clinic)
    body = known.json(objects, clinic) if callable(known.json) else known.json
    if body is None and route.method in BODY_METHODS:
        body = {}
    return Prepared(body, known.query)


def send(
    client: FlaskClient,
    app: Flask,
    route: Route,
    ids: dict[str, uuid.UUID],
    prepared: Prepared,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    return client.open(
        _path(app, route, ids),
        method=route.method,
        headers={"If-Match": "*", **(headers or {})},
        query_string=prepared.query,
        json=prepared.json,
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


# --- (b, c) no credential, or a bad one --------------------------------------


@pytest.fixture
def bad_credentials(client, factory, world, objects) -> dict[str, tuple[str | None, str]]:
    """Authorization headers that must not get in (None: no header) -> the 401's detail."""
    revoked = factory.user(world.clinic_id, ADMIN)
    assert client.delete("/api/v1/auth/token", headers=revoked.headers).status_code == 204
    deactivated = factory.user(world.clinic_id, CLINICIAN, active=False)
    revoked_key, ids = objects.api_client(OURS, READ_SCOPES)
    response = client.delete(f"/api/v1/api-clients/{ids['client_id']}", headers=world.admin.headers)
    assert response.status_code == 204
    return {
        "anonymous": (None, NO_TOKEN),
        "empty bearer": ("Bearer ", NO_TOKEN),
        "another scheme": (f"Basic {world.admin.token}", NO_TOKEN),
        "unknown token": (f"Bearer hrt_{uuid.uuid4().hex}", BAD_TOKEN),
        "not one of our tokens": ("Bearer not-a-token", BAD_TOKEN),
        "revoked token": (f"Bearer {revoked.token}", BAD_TOKEN),
        "deactivated user's token": (f"Bearer {deactivated.token}", BAD_TOKEN),
        "unknown API key": (f"Bearer hrk_00000000_{uuid.uuid4().hex}", BAD_TOKEN),
        "revoked API key": (f"Bearer {revoked_key}", BAD_TOKEN),
    }


@pytest.mark.parametrize("route", _route_params())
def test_missing_or_bad_credentials_get_401_and_write_nothing(
    app, client, objects, bad_credentials, route
):
    ids = ids_for(objects, route, OURS)
    prepared = prepare(objects, route, OURS)
    before = database_snapshot(app)

    for name, (authorization, detail) in bad_credentials.items():
        headers = {"Authorization": authorization} if authorization is not None else {}
        response = send(client, app, route, ids, prepared, headers)
        try:
            assert_unauthorized(response, detail)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from error

    assert database_snapshot(app) == before


# --- (d) roles x clinics -----------------------------------------------------


@pytest.mark.parametrize("caller_name", CALLERS)
@pytest.mark.parametrize("route", _route_params())
def test_role_gets_exactly_what_the_route_declares(
    app, client, factory, world, objects, route, caller_name
):
    caller = _make_caller(caller_name, objects, factory, world)
    allowed = caller.may_call(declared_roles_and_scopes(app, route))
    own_ids = ids_for(objects, route, caller.clinic)
    prepared = prepare(objects, route, caller.clinic)

    if not allowed:
        before = database_snapshot(app, ignore=AUDIT_TABLES)
        response = send(client, app, route, own_ids, prepared, caller.headers)
        assert_problem(response, 403, type="/problems/forbidden", title="Forbidden")
        assert database_snapshot(app, ignore=AUDIT_TABLES) == before
        return

    if route.arguments:
        # Another clinic's object does not exist for this caller: 404, never 403 or 200.
        foreign_ids = ids_for(objects, route, OTHER_CLINIC[caller.clinic])
        before = database_snapshot(app, ignore=AUDIT_TABLES)
        response = send(client, app, route, foreign_ids, prepared, caller.headers)
        if response.status_code == 422 and route.key not in KNOWN_REQUESTS:
            pytest.fail(
                f"{route} refused the matrix's empty body (422) before looking the object up; "
                f"add a minimal valid request for it to KNOWN_REQUESTS in {THIS_FILE}."
            )
        assert_problem(response, 404, type="/problems/not-found", title="Not Found")
        assert database_snapshot(app, ignore=AUDIT_TABLES) == before

    response = send(client, app, route, own_ids, prepared, caller.headers)
    known = KNOWN_REQUESTS.get(route.key)
    if known is not None:
        assert response.status_code == known.status, response.get_data(as_text=True)
        if known.status >= 400:
            assert_problem(response, known.status)
        elif known.status != 204:
            assert response.mimetype == "application/json"
    else:
        # A route this file has no request for: at least, auth let the caller in.
        assert response.status_code not in (401, 403, 404) and response.status_code < 500, (
            f"{route} answered {response.status_code} to an allowed caller on its own clinic's "
            f"objects: {response.get_data(as_text=True)}\nIf the route needs a body or more "
            f"set-up, add a request to KNOWN_REQUESTS (or make the objects in MAKERS) in "
            f"{THIS_FILE}."
        )
