"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from clinic.config import load_settings
from clinic.core import checkpoint, database, lifecycle, tenancy  # noqa: F401  (database and tenancy register events)
from clinic.extensions import api, db, migrate

API_SPEC = {
    "API_TITLE": "Hip rehab clinic API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Clinic-facing REST API for physiotherapy of runners with hip pain. "
                "Errors are application/problem+json (RFC 9457)."
            )
        },
        "servers": [{"url": "/"}],
    },
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    settings = load_settings()
    app.config.update(settings.flask_config())
    app.config.update(API_SPEC)
    app.config.update(config or {})
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'clinic.db'}"
    app.json.sort_keys = False  # type: ignore[attr-defined]

    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    if app.config.get("PROXY_HOPS"):
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if app.config["CORS_ORIGINS"]:  # no origins, no per-response CORS work
        _allow_cross_origin(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "A login token or an API key"},
    )
    lifecycle.init_app(app)
    _import_models()
    _register_blueprints(app)

    from clinic.cli import register_commands
    from clinic.ops.routes import expected_revision

    app.extensions["clinic_schema_head"] = expected_revision()
    with app.app_context():
        checkpoint.init_app(app, db.engine)
        if app.testing:
            database.refuse_writes_while_reading(db.engine)
    register_commands(app)
    return app


def _allow_cross_origin(app: Flask) -> None:
    CORS(
        app,
        origins=app.config["CORS_ORIGINS"],
        expose_headers=["ETag", "Link", "Location", "Retry-After", "X-Request-ID"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "If-Match",
            "Idempotency-Key",
            "X-Request-ID",
        ],
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    )


def _import_models() -> None:
    """Every table on the metadata, for migrations and ``alembic check``."""
    from clinic.assessments import models as assessment_models  # noqa: F401
    from clinic.auth import models as auth_models  # noqa: F401
    from clinic.clinics import models as clinic_models  # noqa: F401
    from clinic.core import audit, changes, idempotency  # noqa: F401
    from clinic.episodes import models as episode_models  # noqa: F401
    from clinic.exercises import models as exercise_models  # noqa: F401
    from clinic.goals import models as goal_models  # noqa: F401
    from clinic.integrations import models as integration_models  # noqa: F401
    from clinic.patients import models as patient_models  # noqa: F401
    from clinic.portal import models as portal_models  # noqa: F401
    from clinic.programs import models as program_models  # noqa: F401
    from clinic.running import models as running_models  # noqa: F401
    from clinic.users import models as user_models  # noqa: F401
    from clinic.webhooks import models as webhook_models  # noqa: F401
    from clinic.webhooks import outbox  # noqa: F401  (listens to every change)


def _register_blueprints(app: Flask) -> None:
    from clinic.assessments.routes import blp as assessments_blp
    from clinic.audit.routes import blp as audit_blp
    from clinic.auth.routes import blp as auth_blp
    from clinic.episodes.routes import blp as episodes_blp
    from clinic.exercises.routes import blp as exercises_blp
    from clinic.fhir.routes import blp as fhir_blp
    from clinic.goals.routes import blp as goals_blp
    from clinic.integrations.routes import blp as integrations_blp
    from clinic.ops.routes import blp as ops_blp
    from clinic.ops.routes import docs_assets
    from clinic.patients.routes import blp as patients_blp
    from clinic.portal.routes import blp as portal_blp
    from clinic.programs.routes import blp as programs_blp
    from clinic.running.routes import blp as running_blp
    from clinic.users.routes import blp as users_blp
    from clinic.webhooks.routes import blp as webhooks_blp

    for blueprint in (
        ops_blp,
        auth_blp,
        users_blp,
        patients_blp,
        episodes_blp,
        assessments_blp,
        goals_blp,
        exercises_blp,
        programs_blp,
        portal_blp,
        running_blp,
        integrations_blp,
        webhooks_blp,
        fhir_blp,
        audit_blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs_assets)
