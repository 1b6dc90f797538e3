import uuid

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.etag import etag_header
from clinic.core.pagination import link_header
from clinic.core.principal import STAFF_ROLES, current_principal
from clinic.patients import service
from clinic.patients.schemas import (
    ByIdentifierQuerySchema,
    PatientPageSchema,
    PatientPatchSchema,
    PatientQuerySchema,
    PatientSchema,
    PatientWriteSchema,
)

blp = Blueprint("patients", __name__, url_prefix="/api/v1/patients", description="Patients")

READ = "patients:read"
WRITE = "patients:write"


def _with_etag(patient, status=None):
    headers = etag_header(patient.version)
    if status == 201:
        headers["Location"] = url_for("patients.PatientItem", patient_id=patient.id)
    return (patient, status, headers) if status else (patient, headers)


@blp.route("")
class Patients(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="patient")
    @blp.arguments(PatientQuerySchema, location="query")
    @blp.response(200, PatientPageSchema)
    def get(self, query):
        """Search and list patients

        Sorted by family then given name; with `updated_since`, by time of
        change (oldest first) for synchronisation. Archived patients are hidden.
        """
        page = service.list_patients(
            q=query.get("q"),
            identifier=query.get("identifier"),
            updated_since=query.get("updated_since"),
            cursor=query["cursor"],
            limit=query["limit"],
        )
        return page, link_header(page.next_cursor)

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="patient")
    @blp.arguments(PatientWriteSchema)
    @blp.response(201, PatientSchema, headers={"ETag": {"schema": {"type": "string"}}})
    def post(self, data):
        """Register a patient"""
        return _with_etag(service.create_patient(current_principal().clinic_id, data), 201)


@blp.route("/by-identifier")
class PatientByIdentifier(MethodView):
    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="patient")
    @blp.arguments(ByIdentifierQuerySchema, location="query", as_kwargs=True)
    @blp.arguments(PatientWriteSchema)
    @blp.response(200, PatientSchema, description="Updated")
    @blp.alt_response(201, schema=PatientSchema, description="Created")
    def put(self, data, system, value):
        """Create or update the patient holding an external identifier

        The identifier in the query is always kept on the patient. `If-Match`
        is optional here: sent, it must match the current version.
        """
        patient, created = service.upsert_by_identifier(
            current_principal().clinic_id,
            system,
            value,
            data,
            check_if_match="If-Match" in request.headers,
        )
        return _with_etag(patient, 201 if created else 200)


@blp.route("/<uuid:patient_id>")
class PatientItem(MethodView):
    @access(roles=STAFF_ROLES, scopes=(READ,), audit="patient")
    @blp.response(200, PatientSchema)
    def get(self, patient_id: uuid.UUID):
        """Read a patient"""
        return _with_etag(service.read_patient(patient_id))

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="patient")
    @blp.arguments(PatientPatchSchema)
    @blp.response(200, PatientSchema)
    def patch(self, changes, patient_id: uuid.UUID):
        """Update a patient (needs If-Match)"""
        return _with_etag(service.update_patient(patient_id, changes))

    @access(roles=STAFF_ROLES, scopes=(WRITE,), audit="patient")
    @blp.response(204)
    def delete(self, patient_id: uuid.UUID):
        """Archive a patient (needs If-Match): hidden from lists, kept, a tombstone in the feed"""
        service.archive_patient(patient_id)
