from datetime import UTC

import marshmallow as ma

from clinic.core.pagination import PageQuerySchema, page_schema


class AuditQuerySchema(PageQuerySchema):
    patient_id = ma.fields.UUID()
    actor_id = ma.fields.UUID()
    since = ma.fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Events at or after this time"}
    )


class AuditEventSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    occurred_at = ma.fields.DateTime(required=True)
    actor_type = ma.fields.String(required=True)
    actor_id = ma.fields.UUID(required=True)
    actor_role = ma.fields.String(required=True)
    action = ma.fields.String(required=True)
    resource_type = ma.fields.String(required=True)
    resource_id = ma.fields.String(allow_none=True)
    patient_id = ma.fields.UUID(allow_none=True)
    outcome = ma.fields.String(required=True, metadata={"description": "success or failure"})
    status_code = ma.fields.Integer(required=True)
    http_method = ma.fields.String(required=True)
    path = ma.fields.String(required=True)
    client_address = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)


AuditEventPageSchema = page_schema(AuditEventSchema, "AuditEventPage")
