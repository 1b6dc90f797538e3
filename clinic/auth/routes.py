from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.auth import service
from clinic.auth.schemas import MeSchema, TokenRequestSchema, TokenSchema
from clinic.core.access import access, public
from clinic.core.principal import ADMIN, CLINICIAN, PATIENT, current_principal

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Logging in and out")


@blp.route("/auth/token")
class Token(MethodView):
    @public
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    def post(self, credentials):
        """Log in with email and password

        Failed attempts are throttled per account and per client address
        (429 with Retry-After). An Idempotency-Key is accepted but not
        replayed: a token is never stored to be shown twice.
        """
        return service.login(
            credentials["email"], credentials["password"], g.get("client_address") or "unknown"
        )

    @access(roles=(ADMIN, CLINICIAN, PATIENT))
    @blp.response(204)
    def delete(self):
        """Revoke the token used for this request"""
        service.logout(current_principal())


@blp.route("/me")
class Me(MethodView):
    @access(roles=(ADMIN, CLINICIAN, PATIENT))
    @blp.response(200, MeSchema)
    def get(self):
        """Who am I: role, clinic, and for a patient their patient id"""
        return service.describe(current_principal())
