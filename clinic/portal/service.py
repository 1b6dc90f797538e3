"""The patient portal: invitations and activation, the patient's program, session logs, adherence.

Invitation codes are 16 characters of Crockford's base32 (no I, L, O or U;
typed back, case, spaces and dashes do not matter and O/I/L read as 0/1/1),
shown once as ``XXXX-XXXX-XXXX-XXXX``: 80 random bits, so guessing one is out
of reach even before throttling. Only their keyed hash is stored. Failed
activations are throttled like logins (per email and per client address).

Adherence over a window of N days ending today (UTC, included):

- each day counts the sessions per day of the program in force that day: the
  most recently published version of the episode whose ``start_date`` ..
  ``end_date`` covers the day, a version not counting from the day it was
  superseded on;
- a program's sessions per day = max over its items of
  ``times_per_day * days_per_week / 7`` (the most frequent item sets how often
  the patient must exercise);
- prescribed sessions = that sum over the window; logged sessions = the
  patient's logs of the episode's programs dated on days with a program in
  force;
- adherence = logged / prescribed x 100, capped at 100, rounded to 0.1; None
  (null) when nothing was prescribed in the window.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from flask import Response, after_this_request, g
from sqlalchemy import Select, select, tuple_, update

from clinic.auth import throttle
from clinic.auth.secrets import keyed_hash
from clinic.auth.service import normalise_email
from clinic.core import audit
from clinic.core.changes import CREATED, record_change
from clinic.core.errors import PROBLEM_CONTENT_TYPE, Problem, conflict, validation_problem
from clinic.core.idempotency import IdempotencyRecord
from clinic.core.models import utcnow
from clinic.core.pagination import Page, decode_cursor, encode_cursor
from clinic.core.principal import PATIENT, Principal
from clinic.core.tenancy import all_clinics, set_clinic
from clinic.episodes.service import find_episode
from clinic.exercises.models import Exercise
from clinic.extensions import db
from clinic.patients.service import find_patient
from clinic.portal.models import ExerciseLog, PortalInvitation
from clinic.portal.schemas import utc_today
from clinic.programs.models import Program
from clinic.programs.service import (
    current_program_for_patient,
    exercises_of,
    published_versions,
)
from clinic.users.models import User
from clinic.users.service import add_user

INVITATION = "portal_invitation"
LOG = "exercise_log"
ADHERENCE = "adherence"

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 16
CODE_GROUP = 4
_READ_ALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})
DEFAULT_WINDOWS = (7, 28)


# --- Invitations ------------------------------------------------------------------------------


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalise_code(typed: str) -> str | None:
    """The code as issued without dashes, or None when it cannot be one of ours."""
    code = "".join(typed.split()).replace("-", "").upper().translate(_READ_ALIKE)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def _code_hash(normalised: str) -> str:
    return keyed_hash("portal-invitation:" + normalised)


def _has_account(patient_id: uuid.UUID) -> bool:
    return (
        db.session.scalar(select(User.id).where(User.patient_id == patient_id).limit(1)) is not None
    )


def _keep_code_out_of_idempotency_record() -> None:
    """A replay never shows the code again: the stored answer becomes a 409 saying so.

    The idempotency layer stores a response to replay it; this one holds the
    code, which is only ever stored hashed.
    """
    record_id = g.get("idempotency_record_id")
    if record_id is None:
        return
    replay = {
        "type": "/problems/shown-once",
        "title": "Conflict",
        "status": 409,
        "detail": "This request already issued an invitation; its code is shown only once. "
        "Issue a new invitation if the code was lost.",
    }

    @after_this_request
    def _redact(response: Response) -> Response:
        if response.status_code < 400:
            db.session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record_id)
                .values(
                    status_code=409,
                    response_body=json.dumps(replay).encode(),
                    response_headers={"Content-Type": PROBLEM_CONTENT_TYPE},
                )
            )
        return response


def invite_patient(
    principal: Principal, patient_id: uuid.UUID, expires_in_days: int
) -> tuple[PortalInvitation, str]:
    """A new one-use code for the patient; earlier unused codes stop working."""
    patient = find_patient(patient_id)
    if _has_account(patient.id):
        raise conflict("The patient already has an app account.")
    now = utcnow()
    db.session.execute(
        update(PortalInvitation)
        .where(
            PortalInvitation.patient_id == patient.id,
            PortalInvitation.used_at.is_(None),
            PortalInvitation.expires_at > now,
        )
        .values(expires_at=now)
    )
    code = _new_code()
    invitation = PortalInvitation(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        code_hash=_code_hash(normalise_code(code) or ""),
        expires_at=now + timedelta(days=expires_in_days),
        created_by=principal.id,
        created_at=now,
    )
    db.session.add(invitation)
    db.session.flush()
    record_change(db.session, invitation.clinic_id, INVITATION, invitation.id, CREATED, 1)
    audit.record("create", INVITATION, invitation.id, patient.id)
    _keep_code_out_of_idempotency_record()
    return invitation, code


# --- Activation -------------------------------------------------------------------------------


def _invalid_code(account: str, client_address: str) -> Problem:
    throttle.record_failure(account, client_address)
    return validation_problem(
        {"code": ["Unknown, already used or expired."]},
        "The activation code is not valid; ask your clinic for a new one.",
    )


def activate_patient(data: dict[str, Any], client_address: str) -> User:
    """A patient account from a valid invitation code; one error for every bad code."""
    email = normalise_email(data["email"])
    account = keyed_hash("activation:" + email)
    throttle.check_not_throttled(account, client_address)
    code = normalise_code(data["code"])
    now = utcnow()
    invitation = None
    if code is not None:
        with all_clinics(db.session):
            invitation = db.session.scalars(
                select(PortalInvitation).where(PortalInvitation.code_hash == _code_hash(code))
            ).one_or_none()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        raise _invalid_code(account, client_address)
    set_clinic(db.session, invitation.clinic_id)
    try:
        patient = find_patient(invitation.patient_id)
    except Problem:  # archived since: the invitation went with it
        raise _invalid_code(account, client_address) from None
    if _has_account(patient.id):
        raise conflict("This patient already has an app account; log in instead.")
    # Claimed with a condition, so two concurrent uses of one code cannot both succeed.
    claimed = db.session.execute(
        update(PortalInvitation)
        .where(
            PortalInvitation.id == invitation.id,
            PortalInvitation.used_at.is_(None),
            PortalInvitation.expires_at > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise _invalid_code(account, client_address)
    user = add_user(
        invitation.clinic_id,
        {
            "email": email,
            "name": f"{patient.given_name} {patient.family_name}",
            "role": PATIENT,
            "password": data["password"],
            "patient_id": patient.id,
        },
    )
    throttle.clear_account(account)
    # An anonymous request: the audit trail names the account it created as the actor.
    g.principal = Principal(
        kind="user", id=user.id, clinic_id=user.clinic_id, role=PATIENT, patient_id=patient.id
    )
    audit.record("activate", INVITATION, invitation.id, patient.id)
    audit.record("create", "patient_account", user.id, patient.id)
    return user


# --- The patient's program --------------------------------------------------------------------


def my_program(principal: Principal) -> Program:
    program = current_program_for_patient(principal.patient_id) if principal.patient_id else None
    if program is None:
        raise Problem(
            404,
            "You have no published home exercise program at the moment.",
            title="Not Found",
            type_="/problems/not-found",
        )
    audit.record("read", "program", program.id, program.patient_id)
    return program


def _exercise_for_patient(exercise: Exercise) -> dict[str, Any]:
    return {
        "id": str(exercise.id),
        **{c: getattr(exercise, c) for c in ("name", "category", "instructions")},
        "equipment": list(exercise.equipment),
        "target_muscles": list(exercise.target_muscles),
    }


ITEM_FIELDS = (
    "sets",
    "reps",
    "hold_seconds",
    "per_side",
    "times_per_day",
    "days_per_week",
    "notes",
)


def my_program_view(program: Program) -> dict[str, Any]:
    """The program as the patient app shows it; items JSON-ready (dumped as they are)."""
    exercises = exercises_of([program])
    return {
        **{
            c: getattr(program, c)
            for c in ("id", "start_date", "end_date", "notes", "published_at")
        },
        "items": [
            {
                "id": str(item.id),
                "exercise": _exercise_for_patient(exercises[item.exercise_id]),
                **{c: getattr(item, c) for c in ITEM_FIELDS},
            }
            for item in program.items
        ],
    }


# --- Session logs -----------------------------------------------------------------------------


def log_session(principal: Principal, data: dict[str, Any]) -> ExerciseLog:
    """A session of the caller's current program; 422 names what does not belong to it."""
    program = current_program_for_patient(principal.patient_id) if principal.patient_id else None
    if program is None or program.id != data["program_id"]:
        raise validation_problem(
            {"program_id": ["Not your current program (see GET /api/v1/me/program)."]}
        )
    item_ids = {item.id for item in program.items}
    errors = {
        f"items.{n}.program_item_id": ["Not an item of your current program."]
        for n, item in enumerate(data["items"])
        if item["program_item_id"] not in item_ids
    }
    if data["date"] < program.start_date:
        errors["date"] = [f"Must not be before the program starts ({program.start_date})."]
    if errors:
        raise validation_problem(errors)
    log = ExerciseLog(
        clinic_id=program.clinic_id,
        patient_id=program.patient_id,
        program_id=program.id,
        date=data["date"],
        items=[
            {"program_item_id": str(i["program_item_id"]), "sets_completed": i["sets_completed"]}
            for i in data["items"]
        ],
        pain_nrs=data.get("pain_nrs"),
        rpe=data.get("rpe"),
        notes=data.get("notes"),
    )
    db.session.add(log)
    db.session.flush()
    record_change(db.session, log.clinic_id, LOG, log.id, CREATED, 1)
    audit.record("create", LOG, log.id, log.patient_id)
    return log


def _newest_first(
    statement: Select[Any],
    columns: Sequence[Any],
    *,
    order_name: str,
    cursor: str | None,
    limit: int,
) -> Page:
    """Keyset pagination like ``clinic.core.pagination.keyset_page``, in descending order."""
    if cursor:
        before = decode_cursor(cursor, order_name, len(columns))
        statement = statement.where(tuple_(*columns) < tuple_(*before))
    statement = statement.order_by(*(c.desc() for c in columns)).limit(limit + 1)
    rows = list(db.session.scalars(statement))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(order_name, [getattr(rows[-1], c.key) for c in columns])
    return Page(items=rows, next_cursor=next_cursor)


def list_my_logs(principal: Principal, cursor: str | None, limit: int) -> Page:
    """The caller's session logs, newest first."""
    page = _newest_first(
        select(ExerciseLog).where(ExerciseLog.patient_id == principal.patient_id),
        [ExerciseLog.date, ExerciseLog.id],
        order_name="exercise_logs.date_desc",
        cursor=cursor,
        limit=limit,
    )
    audit.record_many("list", LOG, ((log.id, log.patient_id) for log in page.items))
    return page


def log_view(log: ExerciseLog) -> dict[str, Any]:
    return {
        c: getattr(log, c)
        for c in ("id", "date", "program_id", "items", "pain_nrs", "rpe", "notes", "created_at")
    }


# --- Adherence --------------------------------------------------------------------------------


def sessions_per_day(program: Program) -> float:
    return max((i.times_per_day * i.days_per_week for i in program.items), default=0) / 7


def program_in_force(versions: Sequence[Program], day: date) -> Program | None:
    """The most recently published version covering ``day`` and not superseded by then."""
    covering = [
        p
        for p in versions
        if p.published_at is not None
        and p.start_date <= day
        and (p.end_date is None or day <= p.end_date)
        and (p.superseded_at is None or day < p.superseded_at.date())
    ]
    return max(covering, key=lambda p: (p.published_at, p.number), default=None)


def _window(
    versions: Sequence[Program], logs_by_day: Counter[date], as_of: date, window_days: int
) -> dict[str, Any]:
    start = as_of - timedelta(days=window_days - 1)
    prescribed = 0.0
    logged = 0
    covered = 0
    for offset in range(window_days):
        day = start + timedelta(days=offset)
        program = program_in_force(versions, day)
        if program is None:
            continue
        covered += 1
        prescribed += sessions_per_day(program)
        logged += logs_by_day[day]
    percent = round(min(100.0, 100 * logged / prescribed), 1) if prescribed > 0 else None
    return {
        "window_days": window_days,
        "start_date": start,
        "end_date": as_of,
        "days_covered": covered,
        "prescribed_sessions": round(prescribed, 2),
        "logged_sessions": logged,
        "adherence_percent": percent,
    }


def _windows(episode_id: uuid.UUID, windows: Sequence[int], as_of: date) -> list[dict[str, Any]]:
    versions = published_versions(episode_id)
    logs_by_day: Counter[date] = Counter()
    if versions:
        first_day = as_of - timedelta(days=max(windows) - 1)
        logs_by_day.update(
            db.session.scalars(
                select(ExerciseLog.date).where(
                    ExerciseLog.program_id.in_([p.id for p in versions]),
                    ExerciseLog.date >= first_day,
                    ExerciseLog.date <= as_of,
                )
            )
        )
    return [_window(versions, logs_by_day, as_of, days) for days in windows]


def adherence_percent(
    episode_id: uuid.UUID, window_days: int = 28, as_of: date | None = None
) -> float | None:
    """Home-program adherence of the episode over the last ``window_days`` days (see above)."""
    return _windows(episode_id, [window_days], as_of or utc_today())[0]["adherence_percent"]


def adherence(episode_id: uuid.UUID, window_days: int | None) -> dict[str, Any]:
    """Adherence for the clinician, with the numbers that produced it."""
    episode = find_episode(episode_id)
    as_of = utc_today()
    windows = [window_days] if window_days else list(DEFAULT_WINDOWS)
    audit.record("read", ADHERENCE, episode.id, episode.patient_id)
    return {
        "episode_id": episode.id,
        "as_of": as_of,
        "windows": _windows(episode.id, windows, as_of),
    }
