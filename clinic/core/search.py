"""Prefix search as index range scans, exact on SQLite and PostgreSQL.

``key LIKE :word || '%'`` reads every row of the clinic: the pattern is a bound
parameter, so neither database can turn it into an index range when it plans
the statement (PostgreSQL also needs an index in byte order for that, and can
never do it in the generic plan of a prepared statement). A prefix is a range
instead: the strings that start with ``w`` are exactly those in
``[w, successor(w))`` in code point order, where ``successor`` increments the
last character. A range over bound parameters can be an index range scan in
every plan, and there are no wildcards left to escape.

The range is only exact in code point order, which is UTF-8 byte order. SQLite
compares text with its default BINARY collation, which is exactly that, so the
plain column is compared and its ordinary indexes serve. PostgreSQL compares in
the database's collation, often a linguistic one (en_US.UTF-8) in which the
range both misses names and admits others; there the comparison is made
``COLLATE "C"`` (byte order), which only an index declared ``COLLATE "C"``
serves (``byte_order_index``). ``byte_order`` renders the right form for each
database, so callers stay free of dialect checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Index,
    Select,
    String,
    Subquery,
    and_,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from clinic.core.pagination import Keyset

MAX_CODE_POINT = 0x10FFFF
# UTF-16 surrogates are not characters: no UTF-8 text holds them and neither
# driver can send them. The code point after U+D7FF is U+E000.
_SURROGATES = range(0xD800, 0xE000)


class byte_order(FunctionElement[str]):
    """``column`` compared in code point (UTF-8 byte) order on every database.

    PostgreSQL: ``column COLLATE "C"``; elsewhere the bare column (SQLite's
    default BINARY collation already is byte order).
    """

    name = "byte_order"
    type = String()
    inherit_cache = True  # FunctionElement's cache key: this class and the column


@compiles(byte_order)
def _bare_column(element: byte_order, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(byte_order, "postgresql")
def _collate_c(element: byte_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


def successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix``; None if none is.

    The last character is incremented; a last character that already is the
    highest code point is dropped and the one before it incremented instead.
    """
    chars = list(prefix)
    while chars:
        following = ord(chars.pop()) + 1
        if following in _SURROGATES:
            following = _SURROGATES.stop
        if following <= MAX_CODE_POINT:
            return "".join(chars) + chr(following)
    return None


def prefix_match(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix`` (exactly: case and every character count), as a range."""
    key = byte_order(column)
    upper = successor(prefix)
    if upper is None:  # "" or only U+10FFFF: nothing sorts above the matches
        return key >= prefix
    return and_(key >= prefix, key < upper)


def byte_order_index(name: str, *columns: str) -> Index:
    """An index on ``columns``, the last ``COLLATE "C"``, on PostgreSQL only.

    It serves ``prefix_match`` on PostgreSQL (SQLite needs no index of its own:
    its ordinary indexes are in byte order). Declared so that ``alembic check``
    agrees with a migration that creates it on PostgreSQL only:

    - ``ddl_if``: ``metadata.create_all`` makes it on PostgreSQL only. Alembic's
      autogenerate ignores ``ddl_if`` (sqlalchemy/alembic#1491), hence the rest.
    - The collation goes in ``postgresql_ops``, which SQLAlchemy writes right
      after the column, where PostgreSQL takes ``COLLATE``. Reflection does not
      report the collation of an index column and alembic compares the columns
      only; written into the expression it would be a change on every check.
    - ``literal_column``: alembic cannot reflect expression indexes on SQLite and
      skips the ones it does not find there (with a warning) rather than report
      them missing, as it would a plain column name.
    """
    *leading, last = columns
    return Index(
        name,
        *leading,
        literal_column(last),
        postgresql_ops={last: 'COLLATE "C"'},
    ).ddl_if(dialect="postgresql")


def prefix_search(
    statement: Select[Any],
    words: Sequence[str],
    ordered: Any,
    other: Any,
    keyset: Keyset,
    columns: Sequence[Any],
    session: Any,
) -> Subquery:
    """The keys of one page's candidates: rows of ``statement`` where every word starts a name.

    ``statement`` selects ``columns``, the listing's order (ending with the
    primary key); ``words``: one at least. A word must start ``ordered``, the
    column the listing is ordered by first (an index leads with it), or
    ``other`` (an index leads with it, then holds ``columns``). The result has
    at most twice ``keyset``'s page of rows, which the caller joins to the table
    and pages again; it is built so that neither planner reads the whole clinic,
    nor whole rows it will not return:

    - Asked for one ordered, limited statement with ``OR``, both prefer walking
      the index that holds the listing's order and testing row after row.
      Names that start with a prefix are one stretch of that order, so the walk
      reads the clinic up to them, all of it for a rare prefix. SQLite, with no
      ``ANALYZE`` statistics, always walks; PostgreSQL in a generic plan and
      often in a custom one.
    - So one word (the longest: the most selective as a rule) is split into two
      disjoint parts, each one page after the cursor on its own: rows where it
      starts ``ordered``, and rows where it starts ``other`` but not
      ``ordered``. SQLite reads the first part's index range in list order and
      stops after a page; the second part's range is sorted, from an index
      that covers the keys, so the sort reads no rows. On PostgreSQL both
      ranges are in byte order, not in list order (another collation), and
      asked for an ordered page it would still rather walk the clinic in list
      order; there each range is found first, behind ``OFFSET 0`` (neither
      database merges such a subquery into the query around it), and only its
      matches are sorted. A part's cost follows how many names start with the
      word (a one-letter word is the dear case), never the size of the clinic.
    - The two parts together hold the page, and their keys are all that is
      sorted again; only the page's rows are then read whole.

    The other words filter. ``session`` says which database will plan it.
    """
    driver, *rest = sorted(words, key=len, reverse=True)
    for word in rest:
        statement = statement.where(or_(prefix_match(ordered, word), prefix_match(other, word)))
    starts_ordered = prefix_match(ordered, driver)
    sorts_ranges = session.get_bind().dialect.name != "sqlite"

    def one_page(part: Select[Any]) -> Subquery:
        if not sorts_ranges:
            return keyset.bound(part, columns).subquery()
        found = part.offset(0).subquery()
        keys = [found.c[column.key] for column in columns]
        return keyset.bound(select(*keys), keys).subquery()

    by_ordered = one_page(statement.where(starts_ordered))
    by_other = one_page(statement.where(prefix_match(other, driver), not_(starts_ordered)))
    return union_all(select(by_ordered), select(by_other)).subquery("found")
