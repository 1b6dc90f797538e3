import marshmallow as ma

from clinic.core.pagination import page_schema
from clinic.core.schemas import StrictSchema, distinct, text
from clinic.integrations.scopes import SCOPES


class ApiClientCreateSchema(StrictSchema):
    name = text(200, required=True)
    scopes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(SCOPES)),
        required=True,
        validate=[ma.validate.Length(min=1, max=len(SCOPES)), distinct],
    )


class ApiKeySchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    prefix = ma.fields.String(required=True, metadata={"description": "To tell keys apart"})
    created_at = ma.fields.DateTime(required=True)
    last_used_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


class ApiClientSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)
    created_at = ma.fields.DateTime(required=True)
    revoked_at = ma.fields.DateTime(allow_none=True)
    last_used_at = ma.fields.DateTime(allow_none=True)
    keys = ma.fields.List(ma.fields.Nested(ApiKeySchema), required=True)


class IssuedKeySchema(ma.Schema):
    """The key itself is shown once, here; only its hash is kept."""

    client = ma.fields.Nested(ApiClientSchema, required=True)
    key = ma.fields.String(required=True, metadata={"description": "Use as Bearer <key>"})
    key_id = ma.fields.UUID(required=True)


ApiClientPageSchema = page_schema(ApiClientSchema, "ApiClientPage")


class ChangeSchema(ma.Schema):
    seq = ma.fields.Integer(required=True)
    resource_type = ma.fields.String(required=True)
    resource_id = ma.fields.UUID(required=True)
    action = ma.fields.String(
        required=True, metadata={"description": "created, updated or deleted"}
    )
    version = ma.fields.Integer(required=True)
    changed_at = ma.fields.DateTime(required=True)


class ChangePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ChangeSchema), required=True)
    next_cursor = ma.fields.String(
        required=True, metadata={"description": "Never null: poll with it for what comes next"}
    )
    has_more = ma.fields.Boolean(required=True, metadata={"description": "false once caught up"})
