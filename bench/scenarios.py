"""The endpoints measured and the requests each one rotates through.

Ids, names and cursors are sampled from the seeded database (the first
clinic, which the bench logins belong to), so every request is valid and a
run touches many rows instead of one hot one. Lists and the change feed are
read at random depths (cursors taken from random rows), not only page one:
keyset pagination should make every page cost the same.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, select, true

from bench import dataset
from bench.database import Target
from bench.load import Request
from bench.seed import Seeded

SAMPLE = 1000  # distinct requests per endpoint


@dataclass(frozen=True)
class Endpoint:
    name: str
    label: str
    role: str | None  # whose token; None: no token (login)
    kind: str  # read (one resource), list, write, login, mix
    at_scale: bool = False  # also measured in the 100,000-patient check


ENDPOINTS = (
    Endpoint("login", "POST /auth/token", None, "login"),
    Endpoint("patient_read", "GET /patients/{id}", "clinician", "read"),
    Endpoint("patient_list", "GET /patients?limit=50", "clinician", "list", at_scale=True),
    Endpoint("patient_search", "GET /patients?q=", "clinician", "list", at_scale=True),
    Endpoint("episode_assessments", "GET /episodes/{id}/assessments", "clinician", "list"),
    Endpoint("assessment_read", "GET /assessments/{id}", "clinician", "read"),
    Endpoint("me_program", "GET /me/program", "patient", "read"),
    Endpoint("me_exercise_log", "POST /me/exercise-logs", "patient", "write"),
    Endpoint("assessment_create", "POST /episodes/{id}/assessments", "clinician", "write"),
    Endpoint("change_feed", "GET /changes?limit=50", "admin", "list", at_scale=True),
    Endpoint("fhir_observations", "GET /fhir/R4/Observation?patient=", "clinician", "list"),
    Endpoint("clinic_day", "mixed clinic-day workload", None, "mix"),
)
BY_NAME = {e.name: e for e in ENDPOINTS}

# A clinic day, by share of requests: mostly reads of the record, some writes,
# the patient app, and an integration polling the feed and FHIR. Login is left
# out: tokens last a working day, and argon2 would drown everything else.
CLINIC_DAY = {
    "patient_read": 20,
    "patient_search": 10,
    "patient_list": 5,
    "episode_assessments": 15,
    "assessment_read": 15,
    "assessment_create": 5,
    "me_program": 10,
    "me_exercise_log": 10,
    "fhir_observations": 5,
    "change_feed": 5,
}


@dataclass
class Samples:
    patients: list[Any]  # rows: id, given_name, family_name, *_key
    episodes: list[uuid.UUID]
    open_episodes: list[tuple[uuid.UUID, str]]  # (id, side)
    assessments: list[uuid.UUID]
    feed_positions: list[list[Any]]  # change-feed cursor keys
    program_id: uuid.UUID
    program_items: list[tuple[uuid.UUID, int]]  # (id, sets)
    program_start: date
    on_postgresql: bool


def load_samples(target: Target, seeded: Seeded, size: int = SAMPLE) -> Samples:
    from clinic.assessments.models import Assessment
    from clinic.core.changes import Change
    from clinic.episodes.models import Episode
    from clinic.patients.models import Patient
    from clinic.programs.models import Program, ProgramItem
    from clinic.users.models import User

    clinic_id = seeded.clinic_ids[0]
    engine = create_engine(target.url)
    try:
        with engine.connect() as c:

            def sample(*columns: Any, where: Any = None) -> list[Any]:
                table = columns[0].class_
                statement = select(*columns).where(
                    table.clinic_id == clinic_id, true() if where is None else where
                )
                return list(c.execute(statement.order_by(func.random()).limit(size)))

            patients = sample(
                Patient.id,
                Patient.given_name,
                Patient.family_name,
                Patient.given_name_key,
                Patient.family_name_key,
            )
            episodes = [r[0] for r in sample(Episode.id)]
            open_episodes = [
                (r[0], r[1])
                for r in sample(Episode.id, Episode.side, where=Episode.status == "in_treatment")
            ]
            assessments = [r[0] for r in sample(Assessment.id)]
            on_postgresql = target.kind == "postgresql"
            feed_columns = (Change.txid, Change.seq) if on_postgresql else (Change.seq,)
            feed_positions = [list(r) for r in sample(*feed_columns)]
            patient_id = c.execute(
                select(User.patient_id).where(User.email == seeded.logins["patient"])
            ).scalar_one()
            program_id, program_start = c.execute(
                select(Program.id, Program.start_date).where(
                    Program.patient_id == patient_id, Program.status == "published"
                )
            ).one()
            items = [
                (r[0], r[1])
                for r in c.execute(
                    select(ProgramItem.id, ProgramItem.sets).where(
                        ProgramItem.program_id == program_id
                    )
                )
            ]
    finally:
        engine.dispose()
    return Samples(
        patients=patients,
        episodes=episodes,
        open_episodes=open_episodes,
        assessments=assessments,
        feed_positions=feed_positions,
        program_id=program_id,
        program_items=items,
        program_start=program_start,
        on_postgresql=on_postgresql,
    )


def _auth(token: str, body: bool = False) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if body:
        headers["Content-Type"] = "application/json"
    return headers


def _search_query(rng: random.Random, patient: Any) -> str:
    """What a receptionist types: a surname, its start, a first name, or both."""
    given, family = patient.given_name, patient.family_name
    form = rng.randrange(4)
    if form == 0:
        return family
    if form == 1:
        return family[: rng.randint(3, 5)]
    if form == 2:
        return given
    return f"{given} {family[:4]}"


def build_requests(
    samples: Samples, tokens: dict[str, str], seeded: Seeded, rng_seed: int = 7
) -> dict[str, list[Request]]:
    """Every endpoint's request list (the clinic day is drawn from the others)."""
    from urllib.parse import urlencode

    from clinic.core.pagination import encode_cursor
    from clinic.integrations.feed import ORDER_NAME as FEED_ORDER

    rng = random.Random(rng_seed)
    staff, admin, patient = tokens["clinician"], tokens["admin"], tokens["patient"]
    now = datetime.now(UTC)
    today = now.date()
    lists: dict[str, list[Request]] = {}

    logins = [*seeded.logins.values(), "admin1@bench.clinic", "clinician1@bench.clinic"]
    lists["login"] = [
        Request(
            "POST",
            "/api/v1/auth/token",
            {"Content-Type": "application/json"},
            json.dumps({"email": email, "password": seeded.password}),
        )
        for email in logins
    ]
    lists["patient_read"] = [
        Request("GET", f"/api/v1/patients/{p.id}", _auth(staff)) for p in samples.patients
    ]
    # Page one, then pages after random patients (the cursor the API would have issued).
    pages = ["/api/v1/patients?limit=50"]
    for p in samples.patients:
        key = [p.family_name_key, p.given_name_key, p.id]
        cursor = encode_cursor("patients.name", key)
        pages.append(f"/api/v1/patients?{urlencode({'limit': 50, 'cursor': cursor})}")
    lists["patient_list"] = [Request("GET", path, _auth(staff)) for path in pages]
    lists["patient_search"] = [
        Request(
            "GET",
            f"/api/v1/patients?{urlencode({'q': _search_query(rng, p), 'limit': 50})}",
            _auth(staff),
        )
        for p in samples.patients
    ]
    lists["episode_assessments"] = [
        Request("GET", f"/api/v1/episodes/{e}/assessments", _auth(staff)) for e in samples.episodes
    ]
    lists["assessment_read"] = [
        Request("GET", f"/api/v1/assessments/{a}", _auth(staff)) for a in samples.assessments
    ]
    lists["me_program"] = [Request("GET", "/api/v1/me/program", _auth(patient))]
    lists["me_exercise_log"] = [_exercise_log(rng, samples, today, patient) for _ in range(SAMPLE)]
    lists["assessment_create"] = [
        _draft_assessment(rng, episode_id, side, now, staff)
        for episode_id, side in samples.open_episodes
    ]
    feed = ["/api/v1/changes?limit=50"]
    for key in samples.feed_positions:
        feed.append(
            f"/api/v1/changes?{urlencode({'limit': 50, 'cursor': encode_cursor(FEED_ORDER, key)})}"
        )
    lists["change_feed"] = [Request("GET", path, _auth(admin)) for path in feed]
    lists["fhir_observations"] = [
        Request("GET", f"/fhir/R4/Observation?patient={p.id}", _auth(staff))
        for p in samples.patients
    ]
    lists["clinic_day"] = _clinic_day(rng, lists)
    return lists


def _exercise_log(rng: random.Random, samples: Samples, today: date, token: str) -> Request:
    span = (today - samples.program_start).days
    done = rng.sample(samples.program_items, rng.randint(3, len(samples.program_items)))
    body = {
        "date": (samples.program_start + timedelta(days=rng.randint(0, span))).isoformat(),
        "program_id": str(samples.program_id),
        "items": [
            {"program_item_id": str(i), "sets_completed": rng.randint(1, s)} for i, s in done
        ],
        "pain_nrs": rng.randint(0, 5),
        "rpe": rng.randint(3, 8),
    }
    return Request("POST", "/api/v1/me/exercise-logs", _auth(token, body=True), json.dumps(body))


def _draft_assessment(
    rng: random.Random, episode_id: uuid.UUID, side: str, now: datetime, token: str
) -> Request:
    affected = side if side != "both" else "right"
    body = {
        "kind": "progress",
        "performed_at": (now - timedelta(hours=rng.randint(1, 72))).isoformat(),
        **dataset.assessment_body(rng, affected, progress=rng.random()),
        "notes": "Progress check during the bench run.",
    }
    return Request(
        "POST",
        f"/api/v1/episodes/{episode_id}/assessments",
        _auth(token, body=True),
        json.dumps(body),
    )


def _clinic_day(
    rng: random.Random, lists: dict[str, list[Request]], size: int = 2000
) -> list[Request]:
    names = list(CLINIC_DAY)
    picks = rng.choices(names, weights=[CLINIC_DAY[n] for n in names], k=size)
    return [rng.choice(lists[name]) for name in picks]
