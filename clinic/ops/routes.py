"""Liveness, readiness and the offline API documentation assets."""

from __future__ import annotations

from pathlib import Path

import marshmallow as ma
from alembic.script import ScriptDirectory
from flask import Blueprint as FlaskBlueprint
from flask import current_app, send_from_directory
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from swagger_ui_bundle import swagger_ui_path

from clinic.core.access import public
from clinic.core.api import problem_response
from clinic.extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

blp = Blueprint("ops", __name__, description="Operations")
docs_assets = FlaskBlueprint("docs_assets", __name__)


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True)
    schema_revision = ma.fields.String(allow_none=True)


def expected_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


@blp.route("/healthz")
class Health(MethodView):
    @public
    @blp.response(200, StatusSchema)
    def get(self):
        """The process is alive"""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @public
    @blp.response(200, StatusSchema)
    @blp.alt_response(503, description="Database unreachable or schema not at the latest migration")
    def get(self):
        """The database answers and its schema is at the latest migration"""
        try:
            revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            db.session.rollback()
            return problem_response(503, "The database is unreachable or not migrated.")
        head = current_app.extensions["clinic_schema_head"]
        if revision != head:
            return problem_response(503, "The database schema is not at the latest migration.")
        return {"status": "ready", "schema_revision": revision}


@docs_assets.route("/docs/assets/<path:filename>")
def swagger_asset(filename: str):  # type: ignore[no-untyped-def]
    # Swagger UI ships inside a PyPI package: the docs page needs no network.
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
