"""``/fhir/R4``: read-only FHIR R4 views of the clinical record, as ``application/fhir+json``.

Reads (``GET /fhir/R4/{type}/{id}``) and type searches returning searchset
Bundles, paged with ``_count`` (default 50, max 200; more is capped, as FHIR
allows) and the opaque ``_cursor`` of the ``next`` link. An unknown search
parameter (or modifier) is refused with 400, as everywhere in this API (FHIR's
strict handling): a misspelt one must not widen a search.

Every answer is ``application/fhir+json``, errors included: OperationOutcomes
(400 invalid search parameters, 401, 403, 404 an unknown id or another
clinic's, 410 an archived patient), converted here from the ``Problem`` the
rest of the app raises, and from the app's problem+json for what never reaches
a view (an unknown path, a method other than GET).
"""

from __future__ import annotations

import http
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from clinic.core.access import access, public
from clinic.core.api import handle_unexpected
from clinic.core.errors import PROBLEM_CONTENT_TYPE, Problem, webargs_messages_to_errors
from clinic.core.principal import STAFF_ROLES
from clinic.fhir import mapping, service
from clinic.fhir.mapping import FHIR_JSON

URL_PREFIX = "/fhir/R4"
SCOPE = "fhir:read"
DEFAULT_COUNT = 50
MAX_COUNT = 200

blp = Blueprint(
    "fhir",
    __name__,
    url_prefix=URL_PREFIX,
    description="Read-only FHIR R4 views (application/fhir+json)",
)


# --- documentation schemas and search parameters ------------------------------


class _FhirJson(ma.Schema):
    """A FHIR resource: documented loosely, the FHIR specification is its schema."""

    class Meta:
        unknown = ma.INCLUDE

    resourceType = ma.fields.String(required=True)  # noqa: N815 (the FHIR name)


class FhirResourceSchema(_FhirJson):
    id = ma.fields.String(metadata={"description": "The resource id"})


class BundleSchema(_FhirJson):
    type = ma.fields.String(required=True, metadata={"enum": ["searchset"]})
    total = ma.fields.Integer(required=True)
    link = ma.fields.List(ma.fields.Dict(), required=True)
    entry = ma.fields.List(ma.fields.Dict())


class OperationOutcomeSchema(_FhirJson):
    issue = ma.fields.List(ma.fields.Dict(), required=True)


class PageArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    count = ma.fields.Integer(
        data_key="_count",
        load_default=DEFAULT_COUNT,
        validate=ma.validate.Range(min=0),
        metadata={
            "description": f"Page size (default {DEFAULT_COUNT}; above {MAX_COUNT} is capped); "
            "0 answers the total only"
        },
    )
    cursor = ma.fields.String(
        data_key="_cursor",
        load_default=None,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "Opaque: from the `next` link of the previous page"},
    )


class PatientSearchArgsSchema(PageArgsSchema):
    ids = ma.fields.String(
        data_key="_id",
        validate=ma.validate.Length(min=1, max=2000),
        metadata={"description": "Patient id(s), comma-separated"},
    )
    identifier = ma.fields.String(
        validate=ma.validate.Length(min=1, max=401),
        metadata={"description": "`system|value`, `system|`, or a `value` in any system"},
    )


class ByPatientArgsSchema(PageArgsSchema):
    patient = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=300),
        metadata={"description": "The patient: `Patient/{id}` or `{id}`"},
    )


def _errors_documented(*statuses: int) -> Callable[[Any], Any]:
    """Document error answers as OperationOutcomes in application/fhir+json."""

    def decorate(func: Any) -> Any:
        for status in statuses:
            func = blp.alt_response(
                status,
                schema=OperationOutcomeSchema,
                content_type=FHIR_JSON,
                description=f"{http.HTTPStatus(status).phrase} (an OperationOutcome)",
            )(func)
        return func

    return decorate


# --- responses ---------------------------------------------------------------


def base_url() -> str:
    return request.url_root.rstrip("/") + URL_PREFIX


def fhir_response(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    response = Response(json.dumps(body), status=status, mimetype=FHIR_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def outcome_response(
    status: int,
    detail: str,
    errors: Mapping[str, Sequence[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    # FHIR answers invalid search parameters with 400 (422 is for resources sent).
    status = 400 if status == 422 else status
    outcome = mapping.operation_outcome(status, detail, errors)
    kept = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
    return fhir_response(outcome, status, kept)


def _read(resource: Mapping[str, Any]) -> Response:
    headers = {}
    version = resource.get("meta", {}).get("versionId")
    if version:
        headers["ETag"] = f'W/"{version}"'
    return fhir_response(resource, headers=headers)


def _bundle(
    resource_type: str, used: Mapping[str, str | None], result: service.SearchResult, count: int
) -> Response:
    base = base_url()
    params = {name: value for name, value in used.items() if value is not None}
    params["_count"] = str(count)

    def link(cursor: str | None) -> str:
        query = dict(params, **({"_cursor": cursor} if cursor else {}))
        return f"{base}/{resource_type}?{urlencode(query)}"

    bundle = mapping.searchset(
        result.resources,
        total=result.total,
        base_url=base,
        self_url=link(used.get("_cursor")),
        next_url=link(result.next_cursor) if result.next_cursor else None,
    )
    return fhir_response(bundle)


def _by_patient(
    resource_type: str,
    search: Callable[..., service.SearchResult],
    query: Mapping[str, Any],
) -> Response:
    count = min(query["count"], MAX_COUNT)
    result = search(query["patient"], count=count, cursor=query["cursor"])
    used = {"patient": query["patient"], "_cursor": query["cursor"]}
    return _bundle(resource_type, used, result, count)


# --- errors as OperationOutcomes ---------------------------------------------


@blp.errorhandler(Exception)
def _error_as_outcome(error: Exception) -> Response:
    """Errors raised in these views (401 and 403 from ``@access`` too) as OperationOutcomes."""
    if isinstance(error, Problem):
        errors = error.extra.get("errors")
        return outcome_response(error.status, error.detail, errors, error.headers)
    if isinstance(error, HTTPException):
        data = getattr(error, "data", None) or {}
        headers = dict(data.get("headers") or {})
        if "messages" in data:
            errors = webargs_messages_to_errors(data["messages"])
            detail = "The search has invalid parameters: " + ", ".join(sorted(errors)) + "."
            return outcome_response(400, detail, errors, headers)
        status = error.code or 500
        return outcome_response(status, error.description or http.HTTPStatus(status).phrase)
    handle_unexpected(error)  # logs it as the rest of the app does
    return outcome_response(500, "An unexpected error occurred; it has been logged.")


def _under_prefix(path: str) -> bool:
    return path == URL_PREFIX or path.startswith(URL_PREFIX + "/")


@blp.after_app_request
def _problem_as_outcome(response: Response) -> Response:
    """What never reached a view here (unknown path, other method) still answers in FHIR."""
    if response.mimetype != PROBLEM_CONTENT_TYPE or not _under_prefix(request.path):
        return response
    try:
        problem = json.loads(response.get_data())
    except ValueError:  # pragma: no cover - the app writes its problems as JSON
        return response
    outcome = mapping.operation_outcome(
        response.status_code, str(problem.get("detail", "")), problem.get("errors")
    )
    response.set_data(json.dumps(outcome))
    response.mimetype = FHIR_JSON
    return response


# --- routes ------------------------------------------------------------------

READ_ERRORS = (401, 403, 404)
SEARCH_ERRORS = (400, 401, 403)


@blp.route("/metadata")
class Metadata(MethodView):
    @public
    @blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)
    def get(self):
        """The CapabilityStatement: the resource types, interactions and search parameters"""
        version = str(current_app.config.get("API_VERSION", "1.0.0"))
        return fhir_response(mapping.capability_statement(base_url(), version))


@blp.route("/Patient")
class PatientSearch(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.Patient")
    @blp.arguments(
        PatientSearchArgsSchema, location="query", unknown=ma.RAISE, error_status_code=400
    )
    @blp.response(200, BundleSchema, content_type=FHIR_JSON)
    @_errors_documented(*SEARCH_ERRORS)
    def get(self, query):
        """Search patients by `_id` or `identifier` (or list them all), a searchset Bundle"""
        count = min(query["count"], MAX_COUNT)
        result = service.search_patients(
            ids=query.get("ids"),
            identifier=query.get("identifier"),
            count=count,
            cursor=query["cursor"],
        )
        used = {
            "_id": query.get("ids"),
            "identifier": query.get("identifier"),
            "_cursor": query["cursor"],
        }
        return _bundle("Patient", used, result, count)


@blp.route("/Patient/<string:resource_id>")
class PatientRead(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.Patient")
    @blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)
    @_errors_documented(*READ_ERRORS, 410)
    def get(self, resource_id: str):
        """Read a Patient (410 once archived)"""
        return _read(service.read_patient(resource_id))


@blp.route("/EpisodeOfCare")
class EpisodeOfCareSearch(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.EpisodeOfCare")
    @blp.arguments(ByPatientArgsSchema, location="query", unknown=ma.RAISE, error_status_code=400)
    @blp.response(200, BundleSchema, content_type=FHIR_JSON)
    @_errors_documented(*SEARCH_ERRORS)
    def get(self, query):
        """Search a patient's episodes of care, a searchset Bundle"""
        return _by_patient("EpisodeOfCare", service.search_episodes_of_care, query)


@blp.route("/EpisodeOfCare/<string:resource_id>")
class EpisodeOfCareRead(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.EpisodeOfCare")
    @blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)
    @_errors_documented(*READ_ERRORS)
    def get(self, resource_id: str):
        """Read an EpisodeOfCare"""
        return _read(service.read_episode_of_care(resource_id))


@blp.route("/Condition")
class ConditionSearch(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.Condition")
    @blp.arguments(ByPatientArgsSchema, location="query", unknown=ma.RAISE, error_status_code=400)
    @blp.response(200, BundleSchema, content_type=FHIR_JSON)
    @_errors_documented(*SEARCH_ERRORS)
    def get(self, query):
        """Search a patient's working diagnoses as Conditions, a searchset Bundle"""
        return _by_patient("Condition", service.search_conditions, query)


@blp.route("/Condition/<string:resource_id>")
class ConditionRead(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.Condition")
    @blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)
    @_errors_documented(*READ_ERRORS)
    def get(self, resource_id: str):
        """Read a Condition (a working diagnosis)"""
        return _read(service.read_condition(resource_id))


@blp.route("/Observation")
class ObservationSearch(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.Observation")
    @blp.arguments(ByPatientArgsSchema, location="query", unknown=ma.RAISE, error_status_code=400)
    @blp.response(200, BundleSchema, content_type=FHIR_JSON)
    @_errors_documented(*SEARCH_ERRORS)
    def get(self, query):
        """Search a patient's Observations (values of finalised assessments), a searchset Bundle"""
        return _by_patient("Observation", service.search_observations, query)


@blp.route("/Observation/<string:resource_id>")
class ObservationRead(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.Observation")
    @blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)
    @_errors_documented(*READ_ERRORS)
    def get(self, resource_id: str):
        """Read an Observation: one value (or test) of a finalised assessment"""
        return _read(service.read_observation(resource_id))


@blp.route("/Goal")
class GoalSearch(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.Goal")
    @blp.arguments(ByPatientArgsSchema, location="query", unknown=ma.RAISE, error_status_code=400)
    @blp.response(200, BundleSchema, content_type=FHIR_JSON)
    @_errors_documented(*SEARCH_ERRORS)
    def get(self, query):
        """Search a patient's goals, a searchset Bundle"""
        return _by_patient("Goal", service.search_goals, query)


@blp.route("/Goal/<string:resource_id>")
class GoalRead(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.Goal")
    @blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)
    @_errors_documented(*READ_ERRORS)
    def get(self, resource_id: str):
        """Read a Goal"""
        return _read(service.read_goal(resource_id))


@blp.route("/CarePlan")
class CarePlanSearch(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.CarePlan")
    @blp.arguments(ByPatientArgsSchema, location="query", unknown=ma.RAISE, error_status_code=400)
    @blp.response(200, BundleSchema, content_type=FHIR_JSON)
    @_errors_documented(*SEARCH_ERRORS)
    def get(self, query):
        """Search a patient's home exercise programs as CarePlans, a searchset Bundle"""
        return _by_patient("CarePlan", service.search_care_plans, query)


@blp.route("/CarePlan/<string:resource_id>")
class CarePlanRead(MethodView):
    @access(roles=STAFF_ROLES, scopes=(SCOPE,), audit="fhir.CarePlan")
    @blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)
    @_errors_documented(*READ_ERRORS)
    def get(self, resource_id: str):
        """Read a CarePlan (one version of a home exercise program)"""
        return _read(service.read_care_plan(resource_id))
