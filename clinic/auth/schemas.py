import marshmallow as ma

from clinic.core.schemas import StrictSchema


class TokenRequestSchema(StrictSchema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024))


class TokenSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Seconds"})


class MeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "user or api_client"})
    role = ma.fields.String(required=True)
    clinic_id = ma.fields.UUID(required=True)
    clinic_name = ma.fields.String(required=True)
    email = ma.fields.String(allow_none=True)
    name = ma.fields.String(required=True)
    patient_id = ma.fields.UUID(allow_none=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)
