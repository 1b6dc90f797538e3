import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.pagination import Page, PageQuerySchema, link_header
from clinic.core.principal import ADMIN, current_principal
from clinic.integrations import feed, service
from clinic.integrations.schemas import (
    ApiClientCreateSchema,
    ApiClientPageSchema,
    ApiClientSchema,
    ChangePageSchema,
    IssuedKeySchema,
)

blp = Blueprint("integrations", __name__, url_prefix="/api/v1", description="Integrations")


def _issued(client, raw, key):
    return {"client": service.view(client), "key": raw, "key_id": key.id}


@blp.route("/api-clients")
class ApiClients(MethodView):
    @access(roles=(ADMIN,))
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ApiClientPageSchema)
    def get(self, query):
        """List the clinic's API clients (keys by prefix only)"""
        page = service.list_clients(query["cursor"], query["limit"])
        items = [service.view(c) for c in page.items]
        return Page(items, page.next_cursor), link_header(page.next_cursor)

    @access(roles=(ADMIN,))
    @blp.arguments(ApiClientCreateSchema)
    @blp.response(201, IssuedKeySchema)
    def post(self, data):
        """Create an API client with scopes; its key is in this answer only"""
        return _issued(*service.create_client(current_principal(), data["name"], data["scopes"]))


@blp.route("/api-clients/<uuid:client_id>")
class ApiClientItem(MethodView):
    @access(roles=(ADMIN,))
    @blp.response(200, ApiClientSchema)
    def get(self, client_id: uuid.UUID):
        """Read an API client"""
        return service.view(service.get_client(client_id))

    @access(roles=(ADMIN,))
    @blp.response(204)
    def delete(self, client_id: uuid.UUID):
        """Revoke an API client and all its keys, at once"""
        service.revoke_client(client_id)


@blp.route("/api-clients/<uuid:client_id>/keys")
class ApiClientKeys(MethodView):
    @access(roles=(ADMIN,))
    @blp.response(201, IssuedKeySchema)
    def post(self, client_id: uuid.UUID):
        """Add a second key for rotation (at most two live); shown once"""
        return _issued(*service.add_key(client_id))


@blp.route("/api-clients/<uuid:client_id>/keys/<uuid:key_id>")
class ApiClientKey(MethodView):
    @access(roles=(ADMIN,))
    @blp.response(204)
    def delete(self, client_id: uuid.UUID, key_id: uuid.UUID):
        """Revoke one key (the old one, after switching to the new)"""
        service.revoke_key(client_id, key_id)


@blp.route("/changes")
class Changes(MethodView):
    @access(roles=(ADMIN,), scopes=("changes:read",))
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ChangePageSchema)
    def get(self, query):
        """The change feed: every create, update and archive, thin, in commit order

        `next_cursor` is never null: keep it and poll with it. See the design
        in `clinic/integrations/feed.py`.
        """
        page = feed.read_feed(query["cursor"], query["limit"])
        headers = link_header(page.next_cursor) if page.has_more else {}
        return page, headers
