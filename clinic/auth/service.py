"""Logging in and out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from clinic.auth import throttle, tokens
from clinic.auth.secrets import keyed_hash, verify_password
from clinic.clinics.models import Clinic
from clinic.core.errors import Problem
from clinic.core.principal import Principal
from clinic.core.tenancy import all_clinics, set_clinic
from clinic.extensions import db
from clinic.users.models import User


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def login(email: str, password: str, client_address: str) -> IssuedToken:
    """A token for valid credentials; one answer for every kind of failure."""
    email = normalise_email(email)
    account = keyed_hash("login:" + email)
    throttle.check_not_throttled(account, client_address)
    with all_clinics(db.session):
        user = db.session.scalars(select(User).where(User.email == email)).one_or_none()
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.active:
        throttle.record_failure(account, client_address)
        raise Problem(
            401,
            "The email or password is incorrect.",
            type_="/problems/invalid-credentials",
            headers={"WWW-Authenticate": 'Bearer realm="clinic"'},
        )
    set_clinic(db.session, user.clinic_id)
    throttle.clear_account(account)
    raw, lifetime = tokens.issue_token(user)
    return IssuedToken(access_token=raw, expires_in=lifetime)


def logout(principal: Principal) -> None:
    if principal.token_id is not None:
        tokens.revoke_token(principal.token_id)


def describe(principal: Principal) -> dict[str, object]:
    clinic = db.session.get(Clinic, principal.clinic_id)
    user = db.session.get(User, principal.id) if principal.kind == "user" else None
    return {
        "id": principal.id,
        "kind": principal.kind,
        "role": principal.role,
        "clinic_id": principal.clinic_id,
        "clinic_name": clinic.name if clinic else "",
        "email": user.email if user else None,
        "name": user.name if user else "",
        "patient_id": principal.patient_id,
        "scopes": sorted(principal.scopes),
    }
