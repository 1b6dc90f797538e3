import marshmallow as ma

from clinic.core.pagination import page_schema
from clinic.core.schemas import PatchSchema, StrictBoolean, StrictSchema, distinct
from clinic.webhooks.outbox import EVENT_TYPES


def _url(**kwargs: object) -> ma.fields.URL:
    return ma.fields.URL(
        schemes={"http", "https"},
        require_tld=False,
        validate=ma.validate.Length(max=2000),
        **kwargs,  # type: ignore[arg-type]
    )


def _events(**kwargs: object) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENT_TYPES)),
        validate=[ma.validate.Length(min=1, max=len(EVENT_TYPES)), distinct],
        metadata={"description": "Event types, <resource>.<action>"},
        **kwargs,  # type: ignore[arg-type]
    )


class EndpointCreateSchema(StrictSchema):
    url = _url(required=True)
    events = _events(required=True)


class EndpointPatchSchema(PatchSchema):
    url = _url()
    events = _events()
    active = StrictBoolean(metadata={"description": "true re-enables a disabled endpoint"})


class EndpointSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    url = ma.fields.String(required=True)
    events = ma.fields.List(ma.fields.String(), required=True)
    active = ma.fields.Boolean(required=True)
    disabled_reason = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class EndpointCreatedSchema(EndpointSchema):
    secret = ma.fields.String(
        required=True, metadata={"description": "whsec_...: shown once, verify signatures with it"}
    )


class DeliverySchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    event_id = ma.fields.String(required=True)
    event_type = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "pending, succeeded, failed"})
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = ma.fields.DateTime(required=True)
    last_attempt_at = ma.fields.DateTime(allow_none=True)
    last_status_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


EndpointPageSchema = page_schema(EndpointSchema, "WebhookEndpointPage")
DeliveryPageSchema = page_schema(DeliverySchema, "WebhookDeliveryPage")
