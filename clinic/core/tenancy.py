"""Tenant scoping in one place.

Every ORM statement that touches a clinic-owned table (``ClinicOwnedMixin``)
gets ``clinic_id = <the current clinic>`` added by a ``do_orm_execute`` hook,
including relationship loads, joins, ORM updates and deletes. The session must
be told whose request it serves: an authenticated request sets the clinic;
operator commands and tests say ``all_clinics()`` explicitly. A statement on a
clinic-owned table with neither raises, so forgetting the scope fails loudly
instead of leaking another clinic's rows.

New rows are checked too: flushing a clinic-owned row of another clinic than
the session's raises.

The clinic criterion is written as ``likely(clinic_id = ?)`` on SQLite
(``unselective``). Without ``ANALYZE`` statistics SQLite's planner takes any
equality on an indexed column as selective, and given ``patient_id IN (...)
AND clinic_id = ?`` it may walk the clinic's half of the table by the
``clinic_id`` index instead of looking up the patients. ``likely()`` tells it
the truth, that the criterion keeps almost every row, and changes nothing
else: the term still bounds an index that starts with ``clinic_id`` (the
name-ordered patient list). PostgreSQL keeps statistics and gets the plain
comparison.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from clinic.core.models import AnySession, ClinicOwnedMixin

TENANT_KEY = "clinic_tenant"
ALL_CLINICS = "all-clinics"


class TenancyError(RuntimeError):
    """A clinic-owned table was queried without saying whose data it is."""


class unselective(FunctionElement[bool]):
    """A condition nearly every row meets: ``likely(condition)`` on SQLite, bare elsewhere."""

    name = "unselective"
    # No Boolean type: SQLite would get ``likely(...) = 1``, which no index serves.
    inherit_cache = True


@compiles(unselective)
def _bare_condition(element: unselective, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unselective, "sqlite")
def _likely(element: unselective, compiler: SQLCompiler, **kw: Any) -> str:
    return f"likely({compiler.process(element.clauses, **kw)})"


def set_clinic(session: AnySession, clinic_id: uuid.UUID) -> None:
    session.info[TENANT_KEY] = clinic_id


def current_tenant(session: AnySession) -> uuid.UUID | str | None:
    return session.info.get(TENANT_KEY)


@contextmanager
def all_clinics(session: AnySession) -> Iterator[None]:
    """Operator work across clinics (CLI commands, workers, test set-up)."""
    previous = session.info.get(TENANT_KEY)
    session.info[TENANT_KEY] = ALL_CLINICS
    try:
        yield
    finally:
        if previous is None:
            session.info.pop(TENANT_KEY, None)
        else:
            session.info[TENANT_KEY] = previous


def _touches_clinic_data(state: ORMExecuteState) -> bool:
    return any(issubclass(mapper.class_, ClinicOwnedMixin) for mapper in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_clinic(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        # The parent statement already carried the criteria
        # (include_aliases/propagate_to_loaders below).
        return
    tenant = state.session.info.get(TENANT_KEY)
    if tenant == ALL_CLINICS:
        return
    if tenant is None:
        if _touches_clinic_data(state):
            raise TenancyError("query on clinic-owned data with no clinic set on the session")
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            ClinicOwnedMixin,
            lambda cls: unselective(cls.clinic_id == tenant),
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _check_new_rows(session: AnySession, flush_context: Any, instances: Any) -> None:
    tenant = session.info.get(TENANT_KEY)
    if tenant == ALL_CLINICS:
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, ClinicOwnedMixin) and obj.clinic_id != tenant:
            raise TenancyError("a clinic-owned row was written outside the session's clinic")
