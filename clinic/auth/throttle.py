"""Failed-login throttling per account and per client address.

Counts live in the database, so every process and machine behind the load
balancer shares them. Failures are written in their own transaction: the
request itself answers 401 and rolls back.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute

from clinic.auth.models import LoginFailure
from clinic.core.errors import Problem
from clinic.core.models import utcnow
from clinic.extensions import db


def _window() -> timedelta:
    return timedelta(seconds=int(current_app.config["LOGIN_WINDOW_SECONDS"]))


def _oldest_in_window(
    column: InstrumentedAttribute[str], value: str, since: datetime
) -> tuple[int, datetime | None]:
    count, oldest = db.session.execute(
        select(func.count(), func.min(LoginFailure.failed_at)).where(
            column == value, LoginFailure.failed_at > since
        )
    ).one()
    if isinstance(oldest, datetime) and oldest.tzinfo is None:  # defensive: naive means UTC
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), oldest


def check_not_throttled(account_hash: str, client_address: str) -> None:
    """429 with Retry-After when either counter is at its limit."""
    now = utcnow()
    since = now - _window()
    limits = (
        (LoginFailure.account_hash, account_hash, "LOGIN_MAX_FAILURES_PER_ACCOUNT"),
        (LoginFailure.client_address, client_address, "LOGIN_MAX_FAILURES_PER_ADDRESS"),
    )
    for column, value, setting in limits:
        count, oldest = _oldest_in_window(column, value, since)
        if count >= int(current_app.config[setting]) and oldest is not None:
            retry_after = max(1, math.ceil((oldest + _window() - now).total_seconds()))
            raise Problem(
                429,
                "Too many failed logins; wait before trying again.",
                type_="/problems/too-many-login-failures",
                headers={"Retry-After": str(retry_after)},
            )


def record_failure(account_hash: str, client_address: str) -> None:
    session = db.session
    session.rollback()
    session.add(LoginFailure(account_hash=account_hash, client_address=client_address))
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at < utcnow() - 4 * _window()))
    session.commit()


def clear_account(account_hash: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.account_hash == account_hash))
