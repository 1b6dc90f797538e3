from datetime import UTC, date

import marshmallow as ma

from clinic.core.pagination import PageQuerySchema, page_schema
from clinic.core.schemas import PatchSchema, StrictSchema, whole

SEXES = ("female", "male", "other", "unknown")
SURFACES = ("road", "trail", "track", "treadmill", "grass")
PHONE = ma.validate.Regexp(
    r"^\+?[0-9][0-9 ()\-.]{3,28}[0-9]$", error="Use digits, spaces, ( ) - . and a leading +."
)


def _plausible_birth_date(value: date) -> None:
    if value > date.today():
        raise ma.ValidationError("Must not be in the future.")
    if value < date(1900, 1, 1):
        raise ma.ValidationError("Must be on or after 1900-01-01.")


def _unique_identifiers(values: list[dict[str, str]]) -> None:
    pairs = [(v["system"], v["value"]) for v in values]
    if len(pairs) != len(set(pairs)):
        raise ma.ValidationError("Each (system, value) may appear once.")


class IdentifierSchema(StrictSchema):
    system = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Namespace of the value, e.g. a URI of the issuing system"},
    )
    value = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class RunningProfileSchema(StrictSchema):
    weekly_distance_km = ma.fields.Float(validate=ma.validate.Range(min=0, max=500))
    runs_per_week = whole(0, 21)
    high_intensity_sessions_per_week = whole(0, 14)
    rest_days_per_week = whole(0, 7)
    usual_surfaces = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(SURFACES)),
        validate=ma.validate.Length(max=len(SURFACES)),
    )
    shoe_distance_km = ma.fields.Float(
        validate=ma.validate.Range(min=0, max=5000),
        metadata={"description": "Distance on the current pair; replacement is due from 480 km"},
    )
    years_running = whole(0, 90)
    recent_volume_change_percent = ma.fields.Float(
        validate=ma.validate.Range(min=-100, max=1000),
        metadata={"description": "Change in weekly distance over the last weeks"},
    )


def _name(required: bool) -> ma.fields.String:
    return ma.fields.String(required=required, validate=ma.validate.Length(min=1, max=100))


class PatientWriteSchema(StrictSchema):
    """The full representation a client writes (POST and PUT)."""

    given_name = _name(True)
    family_name = _name(True)
    birth_date = ma.fields.Date(required=True, validate=_plausible_birth_date)
    sex = ma.fields.String(required=True, validate=ma.validate.OneOf(SEXES))
    email = ma.fields.Email(allow_none=True, validate=ma.validate.Length(max=254))
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    identifiers = ma.fields.List(
        ma.fields.Nested(IdentifierSchema),
        validate=[ma.validate.Length(max=20), _unique_identifiers],
    )
    running_profile = ma.fields.Nested(RunningProfileSchema, allow_none=True)


class PatientPatchSchema(PatchSchema, PatientWriteSchema):
    """Only the fields sent change; `identifiers`, when sent, replaces the list."""

    given_name = _name(False)
    family_name = _name(False)
    birth_date = ma.fields.Date(validate=_plausible_birth_date)
    sex = ma.fields.String(validate=ma.validate.OneOf(SEXES))


class PatientSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    given_name = ma.fields.String(required=True)
    family_name = ma.fields.String(required=True)
    birth_date = ma.fields.Date(required=True)
    sex = ma.fields.String(required=True)
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    identifiers = ma.fields.List(
        ma.fields.Nested(IdentifierSchema), required=True, attribute="sorted_identifiers"
    )
    running_profile = ma.fields.Dict(allow_none=True)
    version = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class IdentifierParam(ma.fields.String):
    """`system|value`, split at the first `|`."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 401:
            raise ma.ValidationError("Longer than 401 characters.")
        system, sep, ident = text.partition("|")
        if not sep or not system or not ident:
            raise ma.ValidationError("Use system|value.")
        return {"system": system, "value": ident}


class PatientQuerySchema(PageQuerySchema):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "Name search: every word must start a given or family name"},
    )
    identifier = IdentifierParam(metadata={"description": "system|value"})
    updated_since = ma.fields.AwareDateTime(
        default_timezone=UTC,
        metadata={"description": "Only patients changed at or after this time, oldest first"},
    )


class ByIdentifierQuerySchema(StrictSchema):
    system = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    value = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


PatientPageSchema = page_schema(PatientSchema, "PatientPage")
