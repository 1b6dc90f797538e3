import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.pagination import PageQuerySchema, link_header
from clinic.core.principal import ADMIN, current_principal
from clinic.webhooks import service
from clinic.webhooks.schemas import (
    DeliveryPageSchema,
    EndpointCreatedSchema,
    EndpointCreateSchema,
    EndpointPageSchema,
    EndpointPatchSchema,
    EndpointSchema,
)

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1", description="Webhooks")

MANAGE = "webhooks:manage"


@blp.route("/webhook-endpoints")
class WebhookEndpoints(MethodView):
    @access(roles=(ADMIN,), scopes=(MANAGE,))
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, EndpointPageSchema)
    def get(self, query):
        """List the clinic's webhook endpoints"""
        page = service.list_endpoints(query["cursor"], query["limit"])
        return page, link_header(page.next_cursor)

    @access(roles=(ADMIN,), scopes=(MANAGE,))
    @blp.arguments(EndpointCreateSchema)
    @blp.response(201, EndpointCreatedSchema)
    def post(self, data):
        """Subscribe a URL to event types; the signing secret is in this answer only

        Private, loopback and link-local targets are refused (SSRF guard).
        """
        return service.create_endpoint(current_principal().clinic_id, data)


@blp.route("/webhook-endpoints/<uuid:endpoint_id>")
class WebhookEndpointItem(MethodView):
    @access(roles=(ADMIN,), scopes=(MANAGE,))
    @blp.response(200, EndpointSchema)
    def get(self, endpoint_id: uuid.UUID):
        """Read a webhook endpoint (never its secret)"""
        return service.get_endpoint(endpoint_id)

    @access(roles=(ADMIN,), scopes=(MANAGE,))
    @blp.arguments(EndpointPatchSchema)
    @blp.response(200, EndpointSchema)
    def patch(self, changes, endpoint_id: uuid.UUID):
        """Change the URL or events, or re-enable a disabled endpoint"""
        return service.update_endpoint(endpoint_id, changes)

    @access(roles=(ADMIN,), scopes=(MANAGE,))
    @blp.response(204)
    def delete(self, endpoint_id: uuid.UUID):
        """Remove an endpoint: nothing more is delivered to it"""
        service.delete_endpoint(endpoint_id)


@blp.route("/webhook-endpoints/<uuid:endpoint_id>/deliveries")
class WebhookDeliveries(MethodView):
    @access(roles=(ADMIN,), scopes=(MANAGE,))
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, query, endpoint_id: uuid.UUID):
        """The delivery log of an endpoint: attempts, statuses, next retry"""
        page = service.list_deliveries(endpoint_id, query["cursor"], query["limit"])
        return page, link_header(page.next_cursor)
