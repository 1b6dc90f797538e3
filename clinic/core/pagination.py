"""Keyset pagination: ``?limit=&cursor=``, ``{items, next_cursor}`` and ``Link``.

A cursor is the sort key of the last row sent, base64url-encoded JSON, so the
next page is one indexed range scan however deep the client goes. Every sort
ends with the primary key, which makes the order total.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import request
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from clinic.core.errors import validation_problem
from clinic.core.schemas import StrictSchema

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageQuerySchema(StrictSchema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=500),
        metadata={"description": "The `next_cursor` of the previous page"},
    )


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A ``{items: [...], next_cursor}`` schema for one item schema."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(
                required=True, allow_none=True, metadata={"description": "null on the last page"}
            ),
        },
    )


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        if kind == "u":
            return uuid.UUID(raw)
        if kind == "t":
            return datetime.fromisoformat(raw)
        if kind == "d":
            return date.fromisoformat(raw)
    if isinstance(value, dict | list):
        raise ValueError("unexpected cursor value")
    return value


def encode_cursor(order: str, values: Sequence[Any]) -> str:
    payload = json.dumps({"o": order, "k": [_encode_value(v) for v in values]})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if payload.get("o") != order or len(payload["k"]) != width:
            raise ValueError("cursor for another listing")
        return [_decode_value(v) for v in payload["k"]]
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise validation_problem({"cursor": ["Not a cursor this listing issued."]}) from exc


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


@dataclass(frozen=True)
class Keyset:
    """Where one page of a listing starts, and how many rows it takes."""

    order_name: str
    after: list[Any] | None
    limit: int

    @classmethod
    def of(cls, order_name: str, width: int, cursor: str | None, limit: int) -> Keyset:
        after = decode_cursor(cursor, order_name, width) if cursor else None
        return cls(order_name, after, limit)

    def bound(self, statement: Select[Any], columns: Sequence[Any]) -> Select[Any]:
        """``statement`` after the cursor, in ``columns`` order, one row more than a page."""
        if self.after is not None:
            statement = statement.where(tuple_(*columns) > tuple_(*self.after))
        return statement.order_by(*columns).limit(self.limit + 1)

    def fetch(self, statement: Select[Any], columns: Sequence[Any], session: Any) -> Page:
        """Run ``statement`` bounded to this page, and make the page of it."""
        return self.page(list(session.scalars(self.bound(statement, columns))), columns)

    def page(self, rows: list[Any], columns: Sequence[Any]) -> Page:
        """The page out of ``bound``'s rows, with the cursor of the page after it."""
        if len(rows) <= self.limit:
            return Page(items=rows, next_cursor=None)
        rows = rows[: self.limit]
        last = rows[-1]
        return Page(
            items=rows,
            next_cursor=encode_cursor(self.order_name, [getattr(last, c.key) for c in columns]),
        )


def keyset_page(
    statement: Select[Any],
    order_columns: Sequence[InstrumentedAttribute[Any]],
    *,
    order_name: str,
    cursor: str | None,
    limit: int,
    session: Any,
) -> Page:
    """Run ``statement`` ordered by ``order_columns`` (ascending), one page of it."""
    keyset = Keyset.of(order_name, len(order_columns), cursor, limit)
    return keyset.fetch(statement, order_columns, session)


def link_header(next_cursor: str | None) -> dict[str, str]:
    """The RFC 8288 ``Link: <...>; rel="next"`` header for the next page."""
    if not next_cursor:
        return {}
    args = {k: v for k, v in request.args.items() if k != "cursor"}
    args["cursor"] = next_cursor
    return {"Link": f'<{request.base_url}?{urlencode(args)}>; rel="next"'}
