import marshmallow as ma

from clinic.core.pagination import PageQuerySchema, page_schema
from clinic.core.principal import ADMIN, CLINICIAN
from clinic.core.schemas import PatchSchema, StrictBoolean, StrictSchema

STAFF_ROLE = ma.validate.OneOf([ADMIN, CLINICIAN])
PASSWORD = ma.validate.Length(min=12, max=1024, error="Use 12 to 1024 characters.")


class UserCreateSchema(StrictSchema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    role = ma.fields.String(required=True, validate=STAFF_ROLE)
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


class UserUpdateSchema(PatchSchema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    role = ma.fields.String(validate=STAFF_ROLE)
    password = ma.fields.String(load_only=True, validate=PASSWORD)
    active = StrictBoolean(metadata={"description": "false deactivates: tokens stop at once"})


class UserSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    active = StrictBoolean(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class UserQuerySchema(PageQuerySchema):
    role = ma.fields.String(validate=STAFF_ROLE)
    active = ma.fields.Boolean()  # a query string: "true" / "false"


UserPageSchema = page_schema(UserSchema, "UserPage")
