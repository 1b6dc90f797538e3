"""Operator commands: create-clinic and seed-demo."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from clinic.clinics.models import Clinic
from clinic.core.tenancy import all_clinics
from clinic.episodes.models import Episode
from clinic.extensions import db
from clinic.patients.models import Patient


def _count(app, model) -> int:
    with app.app_context(), all_clinics(db.session):
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_clinic_prints_its_id_and_the_admin_can_log_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-clinic", "Hill Physio", "--admin-email", "boss@hill.example"],
        env={"CLINIC_ADMIN_PASSWORD": "a very long password"},
    )
    assert result.exit_code == 0, result.output
    clinic_id = result.output.strip()
    with app.app_context(), all_clinics(db.session):
        assert db.session.get(Clinic, uuid.UUID(clinic_id)).name == "Hill Physio"
    login = client.post(
        "/api/v1/auth/token",
        json={"email": "boss@hill.example", "password": "a very long password"},
    )
    assert login.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {login.json['access_token']}"})
    assert me.json["role"] == "admin" and me.json["clinic_id"] == clinic_id


def test_create_clinic_refuses_a_short_password_and_a_taken_email(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["create-clinic", "A", "--admin-email", "a@x.example", "--admin-password", "short"]
    )
    assert short.exit_code != 0
    ok = [
        "create-clinic",
        "B",
        "--admin-email",
        "b@x.example",
        "--admin-password",
        "long enough pw!",
    ]
    assert runner.invoke(args=ok).exit_code == 0
    taken = runner.invoke(args=ok)
    assert taken.exit_code != 0
    assert "already exists" in taken.output
    assert _count(app, Clinic) == 1


def test_seed_demo_is_idempotent_and_prints_logins(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "physio@demo.clinic" in first.output
    counts = (_count(app, Clinic), _count(app, Patient), _count(app, Episode))
    assert counts == (1, 2, 1)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (_count(app, Clinic), _count(app, Patient), _count(app, Episode)) == counts
    token = client.post(
        "/api/v1/auth/token",
        json={"email": "physio@demo.clinic", "password": "demo-physio-password"},
    ).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    robin = client.get("/api/v1/patients?q=robin", headers=headers).json["items"][0]
    episode = client.get(f"/api/v1/patients/{robin['id']}/episodes", headers=headers).json["items"][
        0
    ]
    assert episode["status"] == "in_treatment"
    patient_login = client.post(
        "/api/v1/auth/token",
        json={"email": "robin@demo.clinic", "password": "demo-patient-password"},
    )
    assert patient_login.status_code == 201
    patient_headers = {"Authorization": f"Bearer {patient_login.json['access_token']}"}
    program = client.get("/api/v1/me/program", headers=patient_headers)
    assert program.status_code == 200 and len(program.json["items"]) == 4
    goals = client.get("/api/v1/me/goals", headers=patient_headers).json["items"]
    assert sorted(g["term"] for g in goals) == ["long", "short"]
