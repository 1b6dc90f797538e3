"""Schemathesis against the committed ``openapi.yaml``, on the app in-process.

For every operation in the document, schemathesis generates requests, valid
ones and (in its negative mode) invalid ones, and each is sent as a logged-in
admin and as a logged-in clinician. Every answer must be no server error,
with a documented status and content type and a body that matches the
documented schema.

Path parameters that name objects (a patient, an episode ...) are replaced by
ids of real objects of the caller's clinic, so requests get past the 404 and
exercise the handlers; the authorization matrix covers foreign and random ids.
The admin also sends ``If-Match: *`` so versioned writes go through; the
clinician does not, which exercises the 428 answers.

Generation is seeded and derandomized: CI sends the same requests every run.
Each operation gets ``MAX_EXAMPLES`` generated requests. Schemathesis'
coverage phase is off: it is not bounded by ``max-examples`` (it derives
hundreds of cases from a large body such as an assessment's) and belongs in a
deliberate, longer run (``schemathesis run`` against a server).

Known app bugs are listed in ``KNOWN_BUGS``: their operation is an expected
failure (reported as XFAIL, or XPASS once fixed) until the entry is removed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clinic.auth.tokens import issue_token
from clinic.core.principal import ADMIN, CLINICIAN
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.users.models import User

SPEC_FILE = Path(__file__).resolve().parents[1] / "openapi.yaml"
SEED = 20261126
MAX_EXAMPLES = 25

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES},
        "phases": {
            "coverage": {"enabled": False},
            # The document declares no links to follow.
            "stateful": {"enabled": False},
        },
    }
)
schema = schemathesis.openapi.from_path(SPEC_FILE, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# "METHOD /path" -> the app bug that makes it fail. Remove the entry with the fix.
KNOWN_BUGS: dict[str, str] = {}


# --- fixtures ----------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    user_id: uuid.UUID

    def headers(self, app: Flask) -> dict[str, str]:
        """A fresh token each time: a generated ``DELETE /auth/token`` revokes the one it used."""
        with app.app_context(), all_clinics(db.session):
            token, _ = issue_token(db.session.get(User, self.user_id))
            db.session.commit()
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def logins(world) -> dict[str, Login]:
    return {ADMIN: Login(world.admin.id), CLINICIAN: Login(world.clinician.id)}


def _created_id(client: FlaskClient, path: str, body: dict[str, Any], headers) -> str:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


@pytest.fixture
def known_ids(client, world, factory) -> dict[str, str]:
    """Ids of real objects of our clinic, by path parameter name."""
    # A staff member nobody logs in as: generated PATCHes may deactivate it.
    target = factory.user(world.clinic_id, CLINICIAN)
    headers = world.clinician.headers
    episode_id = _created_id(
        client,
        f"/api/v1/patients/{world.patient_id}/episodes",
        {"title": "Lateral hip pain", "side": "right"},
        headers,
    )
    assessment_id = _created_id(
        client,
        f"/api/v1/episodes/{episode_id}/assessments",
        {"kind": "initial", "performed_at": "2026-01-05T09:30:00Z"},
        headers,
    )
    return {
        "patient_id": str(world.patient_id),
        "user_id": str(target.id),
        "episode_id": episode_id,
        "assessment_id": assessment_id,
    }


@pytest.fixture
def known_bug(request) -> None:
    """Mark the operation of a known app bug as an expected failure.

    Not strict: whether the generated requests hit the bug depends on the
    document, so an XPASS is reported but does not fail the run.
    """
    label = request.node.name.partition("[")[2].removesuffix("]")
    if label in KNOWN_BUGS:
        request.node.add_marker(pytest.mark.xfail(reason=KNOWN_BUGS[label], strict=False))


# --- the test ----------------------------------------------------------------


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_documented(case, app, logins, known_ids, known_bug):
    for name in case.path_parameters or {}:
        if name in known_ids:
            case.path_parameters[name] = known_ids[name]

    for role, login in logins.items():
        headers = login.headers(app)
        if role == ADMIN:
            headers["If-Match"] = "*"
        case.call_and_validate(app=app, headers=headers, checks=CHECKS)
