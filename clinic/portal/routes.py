import uuid

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access, public
from clinic.core.pagination import Page, PageQuerySchema, link_header
from clinic.core.principal import PATIENT, STAFF_ROLES, current_principal
from clinic.portal import service
from clinic.portal.schemas import (
    ActivationRequestSchema,
    ActivationSchema,
    AdherenceQuerySchema,
    AdherenceSchema,
    ExerciseLogPageSchema,
    ExerciseLogSchema,
    ExerciseLogWriteSchema,
    InvitationRequestSchema,
    InvitationSchema,
    MeProgramSchema,
)

blp = Blueprint(
    "portal",
    __name__,
    url_prefix="/api/v1",
    description="The patient app: invitations, activation, the program, session logs, adherence",
)


@blp.route("/patients/<uuid:patient_id>/portal-invitations")
class PortalInvitations(MethodView):
    @access(roles=STAFF_ROLES, scopes=("patients:write",), audit="portal_invitation")
    @blp.arguments(InvitationRequestSchema, required=False)
    @blp.response(201, InvitationSchema)
    def post(self, data, patient_id: uuid.UUID):
        """Invite a patient to the app: a one-use code, shown only here

        Earlier unused codes of the patient stop working. 409 when the patient
        already has an account. Replayed with the same Idempotency-Key, the
        answer is a 409 that says the code is shown once (it is stored hashed).
        """
        invitation, code = service.invite_patient(
            current_principal(), patient_id, data["expires_in_days"]
        )
        return {
            "id": invitation.id,
            "patient_id": invitation.patient_id,
            "code": code,
            "expires_at": invitation.expires_at,
        }, 201


@blp.route("/auth/patient-activation")
class PatientActivation(MethodView):
    @public
    @blp.arguments(ActivationRequestSchema)
    @blp.response(201, ActivationSchema)
    def post(self, data):
        """Open a patient account with an invitation code, then log in at POST /auth/token

        A code works once and until it expires; an unknown, used or expired
        code gets the same 422 naming `code`. Failed attempts are throttled
        per email and per client address (429 with Retry-After). 409 when the
        email is taken or the patient already has an account.
        """
        user = service.activate_patient(data, g.get("client_address") or "unknown")
        return {"patient_id": user.patient_id, "email": user.email}, 201


@blp.route("/me/program")
class MyProgram(MethodView):
    @access(roles=(PATIENT,), audit="program")
    @blp.response(200, MeProgramSchema)
    def get(self):
        """Your current home exercise program, with how to do each exercise

        404 when your clinician has not published one (for your latest open episode).
        """
        return service.my_program_view(service.my_program(current_principal()))


@blp.route("/me/exercise-logs")
class MyExerciseLogs(MethodView):
    @access(roles=(PATIENT,), audit="exercise_log")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ExerciseLogPageSchema)
    def get(self, query):
        """Your logged sessions, newest first"""
        page = service.list_my_logs(current_principal(), query["cursor"], query["limit"])
        items = [service.log_view(log) for log in page.items]
        return Page(items, page.next_cursor), link_header(page.next_cursor)

    @access(roles=(PATIENT,), audit="exercise_log")
    @blp.arguments(ExerciseLogWriteSchema)
    @blp.response(201, ExerciseLogSchema)
    def post(self, data):
        """Log a session of your current program: sets done per item, pain and effort

        Only items of your current program; the date neither in the future
        nor before the program starts.
        """
        return service.log_view(service.log_session(current_principal(), data)), 201


@blp.route("/episodes/<uuid:episode_id>/adherence")
class EpisodeAdherence(MethodView):
    @access(roles=STAFF_ROLES, scopes=("programs:read",), audit="adherence")
    @blp.arguments(AdherenceQuerySchema, location="query")
    @blp.response(200, AdherenceSchema)
    def get(self, query, episode_id: uuid.UUID):
        """Home-program adherence over the last 7 and 28 days (or `window_days`)

        Per window, ending today (UTC): prescribed sessions = for each day a
        published version was in force (its start_date..end_date, until the
        day it was superseded; the latest published wins), the most frequent
        item's times_per_day x days_per_week / 7; logged sessions = the
        patient's session logs on those days; adherence = logged / prescribed
        x 100, at most 100, null when nothing was prescribed.
        """
        return service.adherence(episode_id, query.get("window_days"))
