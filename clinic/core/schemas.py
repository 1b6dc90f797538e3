"""Shared schema building blocks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import marshmallow as ma

SIDES = ("left", "right")
SIDES_OR_BOTH = ("left", "right", "both")
RESULTS = ("positive", "negative")


NUL_MESSAGE = "Must not contain NUL characters."


def _holds_nul(value: Any) -> bool:
    """A NUL in this string or list of strings (nested objects check themselves)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(isinstance(item, str | list) and _holds_nul(item) for item in value)
    return False


class StrictSchema(ma.Schema):
    """Unknown fields are refused (marshmallow 4's default, stated for the reader),
    and so is text holding NUL characters, which PostgreSQL cannot store."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _refuse_nul_characters(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            bad = {
                str(name).replace("\x00", "\\0"): [NUL_MESSAGE]
                for name, value in data.items()
                if _holds_nul(name) or _holds_nul(value)
            }
            if bad:
                raise ma.ValidationError(bad)
        return data


class StrictBoolean(ma.fields.Boolean):
    """JSON true or false only: no 0/1 or "yes" sneaking in as booleans."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class PatchSchema(StrictSchema):
    """A partial update: an empty one is a mistake, not a no-op."""

    @ma.validates_schema
    def _something_to_change(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ma.ValidationError("Send at least one field to change.")


def one_of(values: Iterable[str], **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.OneOf(tuple(values)), **kwargs)


def list_of(values: Iterable[str], **kwargs: Any) -> ma.fields.List:
    """A list of distinct choices."""
    choices = tuple(values)
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(choices)),
        validate=[ma.validate.Length(max=len(choices)), distinct],
        **kwargs,
    )


def number(low: float, high: float, **kwargs: Any) -> ma.fields.Float:
    return ma.fields.Float(validate=ma.validate.Range(min=low, max=high), allow_nan=False, **kwargs)


def whole(low: int, high: int, **kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(min=low, max=high), **kwargs)


def text(max_length: int, **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(min=1, max=max_length), **kwargs)


def distinct(values: list[Any]) -> None:
    if len(values) != len(set(values)):
        raise ma.ValidationError("Each value may appear once.")


def distinct_by(*keys: str) -> Callable[[list[dict[str, Any]]], None]:
    """A list validator: no two items share the same values for ``keys``."""

    def check(items: list[dict[str, Any]]) -> None:
        seen = [tuple(item.get(k) for k in keys) for item in items]
        if len(seen) != len(set(seen)):
            raise ma.ValidationError(f"Each ({', '.join(keys)}) may appear once.")

    return check


def per_side(field: Callable[[], ma.fields.Field], name: str) -> type[ma.Schema]:
    """A ``{left, right}`` schema whose sides are each ``field()``."""
    return type(name, (StrictSchema,), {"left": field(), "right": field()})


def json_ready(value: Any) -> Any:
    """Loaded data made storable in a JSON column (dates become ISO strings)."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return value


class VerbatimList(ma.fields.List):
    """A list the service already built JSON-ready, dumped as it is.

    Documented like the declared list, so the OpenAPI schema still names its
    items; only the per-item, per-field dump is skipped. For derived content
    (findings, warnings) that is large, built by our own code and never read
    from the request: dumping it field by field was a fifth of a read.
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value
