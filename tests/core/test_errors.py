"""Every error is problem+json; no stack traces; body limits; request ids."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status
    assert response.headers["Content-Type"] == PROBLEM
    body = response.json
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_unknown_url_is_a_problem(client):
    assert_problem(client.get("/api/v1/nowhere"), 404)


def test_wrong_method_is_a_problem_with_allow(client, world):
    response = client.put("/api/v1/patients", headers=world.clinician.headers)
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400(client, world):
    response = client.post(
        "/api/v1/patients",
        data="{nope",
        headers={**world.clinician.headers, "Content-Type": "application/json"},
    )
    assert assert_problem(response, 400)["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize("body", ["[]", "3", '"text"', "null"])
def test_json_that_is_not_an_object_is_422(client, world, body):
    response = client.post(
        "/api/v1/patients",
        data=body,
        headers={**world.clinician.headers, "Content-Type": "application/json"},
    )
    problem = assert_problem(response, 422)
    assert problem["errors"]


def test_body_over_the_limit_is_413(client, world, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/v1/patients",
        data='{"given_name": "' + "x" * limit + '"}',
        headers={**world.clinician.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


def test_unexpected_exception_is_a_500_problem_without_details(app, client, monkeypatch, world):
    import clinic.patients.service as service

    def boom(*args, **kwargs):
        raise RuntimeError("secret clinical detail")

    monkeypatch.setattr(service, "read_patient", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get(
            f"/api/v1/patients/{world.patient_id}", headers=world.clinician.headers
        )
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_a_database_that_cannot_answer_is_a_503_to_retry(app, client, monkeypatch, world, caplog):
    from sqlalchemy.exc import OperationalError

    import clinic.patients.service as service

    class LockTimeout(Exception):
        pass

    def locked(*args, **kwargs):
        raise OperationalError("SELECT secret clinical detail", {}, LockTimeout("locked"))

    monkeypatch.setattr(service, "read_patient", locked)
    response = client.get(f"/api/v1/patients/{world.patient_id}", headers=world.clinician.headers)

    body = assert_problem(response, 503)
    assert body["detail"] == "The database is unavailable; retry shortly."
    assert response.headers["Retry-After"] == "5"
    assert "LockTimeout" in caplog.text
    assert "secret" not in caplog.text and "secret" not in response.get_data(as_text=True)


def test_request_id_is_echoed_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    unsafe = client.get("/healthz", headers={"X-Request-ID": "<script> x"})
    assert unsafe.headers["X-Request-ID"] != "<script> x"
    assert len(unsafe.headers["X-Request-ID"]) == 32


def test_readyz_reports_the_schema_revision(client, app):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["schema_revision"] == app.extensions["clinic_schema_head"]


def test_readyz_is_503_when_the_schema_is_behind(client, app, monkeypatch):
    monkeypatch.setitem(app.extensions, "clinic_schema_head", "not-the-head")
    assert_problem(client.get("/readyz"), 503)


def test_cors_allows_the_configured_frontend_only(app):
    from clinic import create_app

    configured = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "CORS_ORIGINS": ["https://frontend.example"],
        }
    )
    client = configured.test_client()
    allowed = client.get("/healthz", headers={"Origin": "https://frontend.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://frontend.example"
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_unknown_query_parameters_are_refused(client, world):
    response = client.get(
        "/api/v1/patients?udpated_since=2026-01-01", headers=world.clinician.headers
    )
    problem = assert_problem(response, 422)
    assert "udpated_since" in problem["errors"]


def test_nul_characters_are_refused_naming_the_field(client, world):
    body = {"given_name": "A", "family_name": "B", "birth_date": "1990-01-01", "sex": "male"}
    top = client.post(
        "/api/v1/patients", json={**body, "given_name": "A\u0000"}, headers=world.clinician.headers
    )
    assert "given_name" in assert_problem(top, 422)["errors"]
    nested = client.post(
        "/api/v1/patients",
        json={**body, "identifiers": [{"system": "s", "value": "v\u0000"}]},
        headers=world.clinician.headers,
    )
    assert "identifiers.0.value" in assert_problem(nested, 422)["errors"]
    listed = client.get("/api/v1/patients?q=a%00", headers=world.clinician.headers)
    assert "q" in assert_problem(listed, 422)["errors"]
