from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.audit import service
from clinic.audit.schemas import AuditEventPageSchema, AuditQuerySchema
from clinic.core.access import access
from clinic.core.pagination import link_header
from clinic.core.principal import ADMIN

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-events", description="Audit trail")


@blp.route("")
class AuditEvents(MethodView):
    @access(roles=(ADMIN,))
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEventPageSchema)
    def get(self, query):
        """Who read or changed what, when, from where, with what outcome (oldest first)"""
        page = service.list_events(
            patient_id=query.get("patient_id"),
            actor_id=query.get("actor_id"),
            since=query.get("since"),
            cursor=query["cursor"],
            limit=query["limit"],
        )
        return page, link_header(page.next_cursor)
