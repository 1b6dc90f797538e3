"""Staff accounts: admins manage them; nobody is deleted, only deactivated."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic.auth.secrets import hash_password
from clinic.auth.service import normalise_email
from clinic.auth.tokens import revoke_all_for_user
from clinic.core.errors import conflict, not_found
from clinic.core.pagination import Page, keyset_page
from clinic.core.principal import PATIENT, STAFF_ROLES, Principal
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.users.models import User


def email_taken(email: str) -> bool:
    # Emails are unique across clinics, so the check must look across them.
    with all_clinics(db.session):
        return db.session.scalar(select(User.id).where(User.email == email)) is not None


def _email_conflict() -> Exception:
    return conflict("An account with this email already exists.", errors={"email": ["Taken."]})


def add_user(clinic_id: uuid.UUID, data: dict[str, Any]) -> User:
    email = normalise_email(data["email"])
    if email_taken(email):
        raise _email_conflict()
    user = User(
        clinic_id=clinic_id,
        email=email,
        name=data["name"].strip(),
        role=data["role"],
        password_hash=hash_password(data["password"]),
        patient_id=data.get("patient_id"),
        active=True,
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # a concurrent request took the email
        raise _email_conflict() from exc
    return user


def list_staff(role: str | None, active: bool | None, cursor: str | None, limit: int) -> Page:
    statement = select(User).where(User.role.in_(STAFF_ROLES))
    if role:
        statement = statement.where(User.role == role)
    if active is not None:
        statement = statement.where(User.active.is_(active))
    return keyset_page(
        statement,
        [User.email, User.id],
        order_name="users.email",
        cursor=cursor,
        limit=limit,
        session=db.session,
    )


def get_staff(user_id: uuid.UUID) -> User:
    user = db.session.scalars(
        select(User).where(User.id == user_id, User.role != PATIENT)
    ).one_or_none()
    if user is None:
        raise not_found("user")
    return user


def update_staff(actor: Principal, user_id: uuid.UUID, changes: dict[str, Any]) -> User:
    user = get_staff(user_id)
    if user.id == actor.id and (
        changes.get("active") is False or changes.get("role") not in (None, user.role)
    ):
        raise conflict("You cannot deactivate yourself or change your own role.")
    for field in ("name", "role", "active"):
        if field in changes:
            setattr(user, field, changes[field])
    if "password" in changes:
        user.password_hash = hash_password(changes["password"])
        revoke_all_for_user(user.id)
    if changes.get("active") is False:
        revoke_all_for_user(user.id)
    db.session.flush()
    return user
