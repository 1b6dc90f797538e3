"""Fixtures: the app on a migrated database, a clean database per test, factories.

The database is SQLite in a temporary folder unless ``TEST_DATABASE_URL``
names another (CI runs the suite on PostgreSQL that way). The schema is built
by the real migrations, once per run; each test then starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

os.environ["CLINIC_ENV"] = "testing"

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text

import clinic.auth.secrets as secrets_module
from clinic import create_app
from clinic.auth.secrets import hash_password
from clinic.auth.tokens import issue_token
from clinic.clinics.models import Clinic
from clinic.config import normalise_database_url
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.patients.models import Patient, PatientIdentifier
from clinic.users.models import User

# Cheap hashing for tests only: the algorithm (argon2id) is the same.
secrets_module._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

PASSWORD = "correct horse battery staple"


# On PostgreSQL each test run works in a schema of its own, so runs sharing
# one database (developers, CI, helpers) never see each other's tables.
PG_SCHEMA = f"test_run_{os.getpid()}"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}options=-csearch_path%3D{PG_SCHEMA}"
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def recreate_schema(connection: Any) -> None:
    """An empty PostgreSQL schema for this run (no tables, no alembic_version)."""
    connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    connection.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))


def _reset_schema(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                recreate_schema(connection)
        upgrade()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
            "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
            # Webhook tests deliver to a receiver on 127.0.0.1.
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": True,
        }
    )
    _reset_schema(application)
    yield application
    with application.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        db.engine.dispose()


def _truncate(app: Flask) -> None:
    # DELETE children before parents: on PostgreSQL this is several times faster
    # than TRUNCATE ... CASCADE for tables this small, and no test relies on ids.
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as connection:
            for name in reversed(tables):
                connection.execute(text(f"DELETE FROM {name}"))  # noqa: S608


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    _truncate(app)
    yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Actor:
    id: uuid.UUID
    clinic_id: uuid.UUID
    role: str
    email: str
    token: str
    password: str = PASSWORD
    patient_id: uuid.UUID | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Factory:
    app: Flask
    counter: list[int] = field(default_factory=lambda: [0])

    def _next(self) -> int:
        self.counter[0] += 1
        return self.counter[0]

    @contextmanager
    def session(self) -> Iterator[Any]:
        with self.app.app_context(), all_clinics(db.session):
            yield db.session
            db.session.commit()

    def clinic(self, name: str | None = None) -> uuid.UUID:
        with self.session() as session:
            clinic = Clinic(id=uuid.uuid4(), name=name or f"Clinic {self._next()}")
            session.add(clinic)
            return clinic.id

    def user(
        self,
        clinic_id: uuid.UUID,
        role: str = "clinician",
        *,
        email: str | None = None,
        active: bool = True,
        patient_id: uuid.UUID | None = None,
    ) -> Actor:
        email = email or f"{role}{self._next()}@example.test"
        with self.session() as session:
            user = User(
                clinic_id=clinic_id,
                email=email,
                name=f"{role.title()} {self.counter[0]}",
                role=role,
                password_hash=hash_password(PASSWORD),
                active=active,
                patient_id=patient_id,
            )
            session.add(user)
            session.flush()
            token, _ = issue_token(user)
            return Actor(user.id, clinic_id, role, email, token, patient_id=patient_id)

    def patient(self, clinic_id: uuid.UUID, **overrides: Any) -> uuid.UUID:
        n = self._next()
        identifiers = overrides.pop("identifiers", [])
        values: dict[str, Any] = {
            "given_name": f"Given{n}",
            "family_name": f"Family{n:05d}",
            "birth_date": date(1980, 1, 1),
            "sex": "female",
            **overrides,
        }
        with self.session() as session:
            patient = Patient(
                clinic_id=clinic_id,
                given_name_key=values["given_name"].lower(),
                family_name_key=values["family_name"].lower(),
                version=1,
                **values,
            )
            patient.identifiers = [
                PatientIdentifier(clinic_id=clinic_id, system=i["system"], value=i["value"])
                for i in identifiers
            ]
            session.add(patient)
            session.flush()
            return patient.id


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


@dataclass
class World:
    """Two clinics: ours with an admin, a clinician and a patient; theirs with an admin."""

    clinic_id: uuid.UUID
    admin: Actor
    clinician: Actor
    patient_id: uuid.UUID
    other_clinic_id: uuid.UUID
    other_admin: Actor
    other_patient_id: uuid.UUID


@pytest.fixture
def world(factory: Factory) -> World:
    ours = factory.clinic("Ours")
    theirs = factory.clinic("Theirs")
    return World(
        clinic_id=ours,
        admin=factory.user(ours, "admin"),
        clinician=factory.user(ours, "clinician"),
        patient_id=factory.patient(ours),
        other_clinic_id=theirs,
        other_admin=factory.user(theirs, "admin"),
        other_patient_id=factory.patient(theirs),
    )


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Transaction control (SQLite's explicit BEGIN) is not a query.
        if not statement.startswith("BEGIN"):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(app: Flask) -> Any:
    """``with count_statements() as counter: ...`` counts SQL sent to the database."""

    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting
