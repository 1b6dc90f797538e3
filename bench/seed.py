"""Seed a fresh database: the real migrations, then bulk rows with Core executemany.

Not through the HTTP API and not row by row through the ORM: either would take
hours at 100,000 patients. The rows come from ``bench.dataset``, shaped as the
app writes them; the exercise catalogue is seeded by the app's own
``seed_catalogue``. Staff share one password, hashed once (argon2 is slow on
purpose).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from flask_migrate import upgrade
from sqlalchemy import Engine, insert, select, text

from bench import dataset
from bench.database import Target

PASSWORD = "bench-password-not-secret"  # noqa: S105 (a throwaway data set's login)
CHUNK_PATIENTS = 1000  # rows of ~50k per chunk and table: large batches, bounded memory
# Parents before children: foreign keys are enforced while seeding, as in the app.
TABLES = (
    "patients",
    "patient_identifiers",
    "episodes",
    "episode_diagnoses",
    "assessments",
    "goals",
    "programs",
    "program_items",
    "exercise_logs",
    "changes",
)


@dataclass
class Seeded:
    """What the load scenarios need to know about the data set, and what seeding cost."""

    patients: int
    clinic_ids: list[uuid.UUID]
    logins: dict[str, str]  # role -> email, all in the first clinic
    password: str = PASSWORD
    rows: dict[str, int] = field(default_factory=dict)
    migrate_seconds: float = 0.0
    seconds: float = 0.0


def make_app(target: Target) -> Any:
    """The real app on the data set (settings come from the environment bench.__main__ set)."""
    from clinic import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": target.url})


def seed(
    target: Target, patients: int, clinics: int = 2, rng_seed: int = 1, log: Callable = print
) -> Seeded:
    started = perf_counter()
    app = make_app(target)
    with app.app_context():
        from clinic.extensions import db

        upgrade()
        migrated = perf_counter()
        engine = db.engine
        now = datetime.now(UTC)
        clinic_ids, staff, password_hash = _clinics_and_staff(engine, clinics, now)
        catalogues = _catalogues(engine, clinic_ids)
        counts: dict[str, int] = {}
        patient_user_done = False
        next_report = 0.1
        for first in range(0, patients, CHUNK_PATIENTS):
            rng = random.Random(rng_seed * 1_000_003 + first)
            rows: dict[str, list[dict[str, Any]]] = {}
            contexts = [
                dataset.Context(c, staff[c]["clinician"], catalogues[c], now, rng, rows)
                for c in clinic_ids
            ]
            for number in range(first, min(patients, first + CHUNK_PATIENTS)):
                # Patients alternate between clinics, so every clinic has the same mix.
                dataset.patient_rows(contexts[number % clinics], number)
            if first == 0:
                dataset.validate_sample(rows)
            with engine.begin() as connection:
                for name in TABLES:
                    if rows.get(name):
                        connection.execute(insert(db.metadata.tables[name]), rows[name])
                        counts[name] = counts.get(name, 0) + len(rows[name])
                if not patient_user_done:
                    _patient_user(connection, rows["patients"][0], password_hash, now)
                    patient_user_done = True
            done = min(patients, first + CHUNK_PATIENTS)
            if done >= next_report * patients:
                log(f"  seeded {done:,}/{patients:,} patients ({perf_counter() - started:.0f} s)")
                next_report = done / patients + 0.1
        _analyze(engine, target, db.metadata.tables)
    counts["users"] = 2 * clinics + 1
    elapsed = perf_counter() - started
    return Seeded(
        patients=patients,
        clinic_ids=clinic_ids,
        logins={
            "admin": "admin0@bench.clinic",
            "clinician": "clinician0@bench.clinic",
            "patient": "patient0@bench.clinic",
        },
        rows=counts,
        migrate_seconds=round(migrated - started, 1),
        seconds=round(elapsed, 1),
    )


def _clinics_and_staff(
    engine: Engine, clinics: int, now: datetime
) -> tuple[list[uuid.UUID], dict[uuid.UUID, dict[str, uuid.UUID]], str]:
    """Clinics with an admin and a clinician each (one argon2 hash shared by all)."""
    from clinic.auth.secrets import hash_password
    from clinic.clinics.models import Clinic
    from clinic.users.models import User

    password_hash = hash_password(PASSWORD)
    clinic_ids = [uuid.uuid4() for _ in range(clinics)]
    staff: dict[uuid.UUID, dict[str, uuid.UUID]] = {}
    users = []
    for n, clinic_id in enumerate(clinic_ids):
        staff[clinic_id] = {}
        for role in ("admin", "clinician"):
            user_id = uuid.uuid4()
            staff[clinic_id][role] = user_id
            users.append(
                {
                    "id": user_id,
                    "clinic_id": clinic_id,
                    "created_at": now,
                    "updated_at": now,
                    "email": f"{role}{n}@bench.clinic",
                    "name": f"Bench {role.capitalize()} {n}",
                    "role": role,
                    "password_hash": password_hash,
                    "active": True,
                    "patient_id": None,
                }
            )
    with engine.begin() as connection:
        connection.execute(
            insert(Clinic.__table__),
            [
                {"id": c, "name": f"Bench Clinic {n}", "created_at": now, "updated_at": now}
                for n, c in enumerate(clinic_ids)
            ],
        )
        connection.execute(insert(User.__table__), users)
    return clinic_ids, staff, password_hash


def _patient_user(
    connection: Any, patient: dict[str, Any], password_hash: str, now: datetime
) -> None:
    """The app login of the first patient (in the first clinic), who has a published program."""
    from clinic.users.models import User

    connection.execute(
        insert(User.__table__),
        {
            "id": uuid.uuid4(),
            "clinic_id": patient["clinic_id"],
            "created_at": now,
            "updated_at": now,
            "email": "patient0@bench.clinic",
            "name": f"{patient['given_name']} {patient['family_name']}",
            "role": "patient",
            "password_hash": password_hash,
            "active": True,
            "patient_id": patient["id"],
        },
    )


def _catalogues(engine: Engine, clinic_ids: list[uuid.UUID]) -> dict[uuid.UUID, dataset.Catalogue]:
    """The app's own catalogue seeding, then each clinic's exercises as items need them."""
    from clinic.core.tenancy import all_clinics
    from clinic.exercises.models import Exercise
    from clinic.exercises.service import seed_catalogue
    from clinic.extensions import db

    with all_clinics(db.session):
        for clinic_id in clinic_ids:
            seed_catalogue(clinic_id)
    db.session.commit()
    catalogues = {}
    with engine.connect() as connection:
        for clinic_id in clinic_ids:
            rows = connection.execute(
                select(
                    Exercise.id,
                    Exercise.per_side,
                    Exercise.default_reps,
                    Exercise.default_hold_seconds,
                )
                .where(Exercise.clinic_id == clinic_id)
                .order_by(Exercise.slug)
            ).all()
            catalogues[clinic_id] = dataset.Catalogue(
                ids=tuple(r[0] for r in rows),
                per_side=tuple(r[1] for r in rows),
                reps=tuple(r[2] for r in rows),
                hold_seconds=tuple(r[3] for r in rows),
            )
    return catalogues


def _analyze(engine: Engine, target: Target, tables: Any) -> None:
    """PostgreSQL: table statistics, as autovacuum would have them a minute after a bulk load.

    SQLite is left as the app leaves it (it never runs ANALYZE), so its plans
    are the ones production gets.
    """
    if target.kind != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in tables:
            connection.execute(text(f'VACUUM ANALYZE "{name}"'))
