"""The floor: two reference apps on the same stack, served by gunicorn like the real one.

(a) ``bare_app``: Flask returning a small JSON body; what the framework and
    server cost on their own.
(b) ``db_app``: Flask + Flask-SQLAlchemy reading one patient by primary key
    from the same seeded database and dumping it with a marshmallow schema;
    what a single-resource read cannot go below on this stack.

Neither imports ``clinic``: the floor must carry none of the app's own work
(authentication, tenancy, audit, ETags), which is what the ratios measure.
Both read ``DATABASE_URL`` like the app and answer ``/readyz`` for the runner.
gunicorn loads them as ``bench.floor:bare_app()`` and ``bench.floor:db_app()``.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime

import marshmallow as ma
from flask import Flask, abort
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def bare_app() -> Flask:
    app = Flask("floor_bare")

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/ping")
    def ping() -> dict[str, object]:
        return {"status": "ok", "service": "floor", "version": 1}

    return app


class _Base(DeclarativeBase):
    pass


class FloorPatient(_Base):
    """The columns of ``patients`` a one-row read returns (the app's table, read-only)."""

    __tablename__ = "patients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FloorPatientSchema(ma.Schema):
    id = ma.fields.UUID()
    given_name = ma.fields.String()
    family_name = ma.fields.String()
    birth_date = ma.fields.Date()
    sex = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


def db_app() -> Flask:
    app = Flask("floor_db")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    # The app's engine options, so the pool behaves the same.
    db = SQLAlchemy(model_class=_Base, engine_options={"pool_pre_ping": True})
    db.init_app(app)
    schema = FloorPatientSchema()

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        db.session.execute(db.select(FloorPatient.id).limit(1))
        return {"status": "ready"}

    @app.get("/patients/<uuid:patient_id>")
    def read_patient(patient_id: uuid.UUID) -> dict[str, object]:
        patient = db.session.get(FloorPatient, patient_id)
        if patient is None:
            abort(404)
        return schema.dump(patient)

    return app
