import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from clinic.core.access import access
from clinic.core.pagination import link_header
from clinic.core.principal import ADMIN, current_principal
from clinic.users import service
from clinic.users.schemas import (
    UserCreateSchema,
    UserPageSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Staff accounts")


@blp.route("")
class Users(MethodView):
    @access(roles=(ADMIN,))
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, query):
        """List the clinic's staff accounts"""
        page = service.list_staff(
            query.get("role"), query.get("active"), query["cursor"], query["limit"]
        )
        return page, link_header(page.next_cursor)

    @access(roles=(ADMIN,))
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a staff account (admin or clinician)"""
        return service.add_user(current_principal().clinic_id, data)


@blp.route("/<uuid:user_id>")
class UserItem(MethodView):
    @access(roles=(ADMIN,))
    @blp.response(200, UserSchema)
    def get(self, user_id: uuid.UUID):
        """Read a staff account"""
        return service.get_staff(user_id)

    @access(roles=(ADMIN,))
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes, user_id: uuid.UUID):
        """Update a staff account; `active: false` deactivates it and revokes its tokens"""
        return service.update_staff(current_principal(), user_id, changes)
