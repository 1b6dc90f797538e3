"""Shared schema building blocks."""

from __future__ import annotations

import marshmallow as ma


class StrictSchema(ma.Schema):
    """Unknown fields are refused (marshmallow 4's default, stated for the reader)."""

    class Meta:
        unknown = ma.RAISE


def trimmed_string(max_length: int, *, min_length: int = 1, **kwargs: object) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(min=min_length, max=max_length), **kwargs)  # type: ignore[arg-type]
