"""Operator commands: ``flask --app wsgi <command>``."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from clinic.assessments import service as assessments
from clinic.clinics.models import Clinic
from clinic.core.errors import Problem
from clinic.core.idempotency import purge_expired
from clinic.core.principal import CLINICIAN, Principal
from clinic.core.tenancy import all_clinics, set_clinic
from clinic.episodes import service as episodes
from clinic.exercises.models import Exercise
from clinic.exercises.service import seed_catalogue
from clinic.extensions import db
from clinic.goals import service as goals
from clinic.patients import service as patients
from clinic.patients.models import Patient
from clinic.programs import service as programs
from clinic.users import service as users
from clinic.users.models import User

DEMO_CLINIC = "Demo Physio Clinic"
DEMO_LOGINS = (
    ("admin", "admin@demo.clinic", "Ada Admin", "demo-admin-password"),
    ("clinician", "physio@demo.clinic", "Pat Physio", "demo-physio-password"),
)
DEMO_PATIENTS = (
    {
        "given_name": "Robin",
        "family_name": "Runner",
        "birth_date": date(1988, 4, 12),
        "sex": "female",
        "email": "robin.runner@example.org",
        "identifiers": [{"system": "urn:demo:pms", "value": "PMS-1001"}],
        "running_profile": {
            "weekly_distance_km": 42,
            "runs_per_week": 4,
            "high_intensity_sessions_per_week": 1,
            "rest_days_per_week": 2,
            "usual_surfaces": ["road", "trail"],
            "shoe_distance_km": 610,
        },
    },
    {
        "given_name": "Sam",
        "family_name": "Strider",
        "birth_date": date(1975, 9, 30),
        "sex": "male",
        "identifiers": [{"system": "urn:demo:pms", "value": "PMS-1002"}],
        "running_profile": {"weekly_distance_km": 25, "runs_per_week": 3},
    },
)

DEMO_EPISODE = {
    "title": "Right lateral hip pain",
    "side": "right",
    "onset_date": date(2026, 9, 28),
    "history": {
        "pain_location": ["lateral"],
        "pain_type": ["aching"],
        "pain_onset": "hours_after",
        "aggravating_factors": ["stairs", "lying_on_side", "running"],
        "accompanying_symptoms": ["stiffness"],
        "running": {
            "weekly_distance_km": 42,
            "runs_per_week": 4,
            "recent_volume_change_percent": 30,
        },
        "footwear": {"shoe_distance_km": 610},
    },
    "diagnoses": [{"code": "gluteal_tendinopathy", "side": "right"}],
}
DEMO_ASSESSMENT = {
    "kind": "initial",
    "performed_at": datetime(2026, 10, 5, 9, 30, tzinfo=UTC),
    "pain": {
        "rest": 1,
        "activity": 4,
        "running": 6,
        "location": ["lateral"],
        "onset": "hours_after",
    },
    "thomas_test": {
        "left": {
            "hip_extension_deg": 5,
            "knee_flexion_deg": 85,
            "hip_abduction_deg": 5,
            "result": "negative",
        },
        "right": {
            "hip_extension_deg": -10,
            "knee_flexion_deg": 70,
            "hip_abduction_deg": 20,
            "result": "positive",
        },
    },
    "trendelenburg": {
        "left": {"result": "negative", "hold_seconds": 30},
        "right": {"result": "positive", "hold_seconds": 12, "compensated": True},
    },
    "straight_leg_raise": {"left": 80, "right": 65},
    "rom": [
        {"joint": "hip", "motion": "extension", "side": "left", "mode": "active", "degrees": 18},
        {
            "joint": "hip",
            "motion": "extension",
            "side": "right",
            "mode": "active",
            "degrees": 8,
            "painful": True,
        },
    ],
    "strength": [
        {"muscle_group": "hip_abductors", "side": "left", "grade": 5},
        {"muscle_group": "hip_abductors", "side": "right", "grade": 4},
    ],
    "functional": {
        "plank_seconds": 40,
        "side_plank_seconds": {"left": 35, "right": 20},
        "walking_minutes_pain_free": 25,
    },
    "outcome_measures": {"lefs": [3, 3, 2, 4, 3, 3, 2, 2, 3, 4, 4, 3, 3, 2, 1, 2, 3, 3, 4, 4]},
}

DEMO_PROGRAM = (
    ("glute-bridge", False, {"reps": 12}),
    ("clamshell", True, {"reps": 12}),
    ("side-plank", True, {"hold_seconds": 30}),
    ("kneeling-hip-flexor-stretch", True, {"hold_seconds": 30}),
)
DEMO_PATIENT_LOGIN = ("patient", "robin@demo.clinic", "Robin Runner", "demo-patient-password")


def create_clinic(name: str, admin_email: str, admin_password: str) -> Clinic:
    clinic = Clinic(id=uuid.uuid4(), name=name)
    db.session.add(clinic)
    db.session.flush()
    set_clinic(db.session, clinic.id)
    users.add_user(
        clinic.id,
        {
            "email": admin_email,
            "name": "Administrator",
            "role": "admin",
            "password": admin_password,
        },
    )
    return clinic


@click.command("create-clinic")
@with_appcontext
@click.argument("name")
@click.option("--admin-email", required=True)
@click.option(
    "--admin-password",
    envvar="CLINIC_ADMIN_PASSWORD",
    required=True,
    help="Or set CLINIC_ADMIN_PASSWORD (keeps it out of the shell history).",
)
def create_clinic_command(name: str, admin_email: str, admin_password: str) -> None:
    """Create a clinic and its first admin; print the clinic id."""
    if not name.strip() or len(name) > 200:
        raise click.BadParameter("1 to 200 characters", param_hint="NAME")
    if len(admin_password) < 12:
        raise click.BadParameter("at least 12 characters", param_hint="--admin-password")
    try:
        clinic = create_clinic(name.strip(), admin_email, admin_password)
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        raise click.ClickException(problem.detail) from problem
    click.echo(str(clinic.id))


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """A demo clinic with staff and patients (idempotent); print the logins."""
    if current_app.config["CLINIC_ENV"] == "production":
        raise click.ClickException("seed-demo creates known passwords; not in production.")
    with all_clinics(db.session):
        clinic = db.session.scalars(select(Clinic).where(Clinic.name == DEMO_CLINIC)).first()
    if clinic is None:
        role, email, _, password = DEMO_LOGINS[0]
        clinic = create_clinic(DEMO_CLINIC, email, password)
        for role, email, name, password in DEMO_LOGINS[1:]:
            users.add_user(
                clinic.id, {"email": email, "name": name, "role": role, "password": password}
            )
    set_clinic(db.session, clinic.id)
    seed_catalogue(clinic.id)
    existing = set(db.session.scalars(select(Patient.family_name)))
    for patient in DEMO_PATIENTS:
        if patient["family_name"] not in existing:
            created = patients.create_patient(clinic.id, dict(patient))
            if patient is DEMO_PATIENTS[0]:
                _seed_demo_episode(clinic.id, created.id)
    db.session.commit()
    click.echo(f"Demo clinic {clinic.id}")
    for role, email, _, password in (*DEMO_LOGINS, DEMO_PATIENT_LOGIN):
        click.echo(f"  {role:<10} {email:<24} {password}")


def _seed_demo_episode(clinic_id: uuid.UUID, patient_id: uuid.UUID) -> None:
    """An episode taken through intake and a finalised initial assessment."""
    clinician = db.session.scalars(select(User).where(User.role == CLINICIAN)).first()
    if clinician is None:
        raise click.ClickException("the demo clinic has no clinician")
    actor = Principal(kind="user", id=clinician.id, clinic_id=clinic_id, role=CLINICIAN)
    episode = episodes.open_episode(clinic_id, patient_id, DEMO_EPISODE)
    assessment = assessments.create_assessment(actor, episode.id, DEMO_ASSESSMENT)
    assessments.finalize_assessment(actor, assessment.id, if_match=False)
    episodes.transition(actor, episode.id, {"to": "assessed", "override": False}, if_match=False)
    _seed_demo_plan_of_care(clinic_id, patient_id, episode.id, actor)


def _seed_demo_plan_of_care(
    clinic_id: uuid.UUID, patient_id: uuid.UUID, episode_id: uuid.UUID, actor: Principal
) -> None:
    """Goals, a published program, treatment under way, and the patient's app account."""
    today = date.today()
    long_goal = goals.create_goal(
        episode_id,
        {
            "term": "long",
            "description": "Hold a front plank for a full minute",
            "metric": "plank.seconds",
            "target_value": 60,
            "comparator": ">=",
            "due_date": today + timedelta(weeks=8),
            "rationale": "Trunk endurance keeps the pelvis level late in a run.",
        },
    )
    goals.create_goal(
        episode_id,
        {
            "term": "short",
            "description": "Right hip extension to 15 degrees",
            "metric": "rom.hip.extension",
            "side": "right",
            "target_value": 15,
            "comparator": ">=",
            "due_date": today + timedelta(weeks=3),
            "rationale": "Daily hip flexor stretching usually gains this in three weeks.",
            "parent_goal_id": long_goal.id,
        },
    )
    catalogue = {e.slug: e.id for e in db.session.scalars(select(Exercise))}
    items = [
        {
            "exercise_id": catalogue[slug],
            "sets": 3,
            "times_per_day": 1,
            "days_per_week": 7,
            "per_side": per_side,
            **dose,
        }
        for slug, per_side, dose in DEMO_PROGRAM
    ]
    program = programs.create_program(episode_id, {"start_date": today, "items": items})
    programs.publish_program(program.id, if_match=False)
    episodes.transition(actor, episode_id, {"to": "in_treatment", "override": False}, False)
    role, email, name, password = DEMO_PATIENT_LOGIN
    users.add_user(
        clinic_id,
        {
            "email": email,
            "name": name,
            "role": role,
            "password": password,
            "patient_id": patient_id,
        },
    )


@click.command("seed-catalogue")
@with_appcontext
def seed_catalogue_command() -> None:
    """Add the exercise catalogue's missing exercises to every clinic (idempotent)."""
    with all_clinics(db.session):
        clinic_ids = list(db.session.scalars(select(Clinic.id)))
        added = sum(seed_catalogue(clinic_id) for clinic_id in clinic_ids)
    db.session.commit()
    click.echo(f"added {added} exercises across {len(clinic_ids)} clinics")


@click.command("purge-expired")
@with_appcontext
def purge_expired_command() -> None:
    """Delete idempotency records older than their retention."""
    removed = purge_expired(db.session)
    db.session.commit()
    click.echo(f"removed {removed} idempotency records")


@click.command("deliver-webhooks")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@with_appcontext
def deliver_webhooks_command(once: bool) -> None:
    """Send due webhook deliveries (runs until stopped, or once)."""
    from clinic.webhooks.worker import deliver_due, run_forever

    if once:
        click.echo(f"attempted {deliver_due()} deliveries")
    else:  # pragma: no cover - a loop for operators
        run_forever()


def register_commands(app: Flask) -> None:
    commands = (
        create_clinic_command,
        seed_demo_command,
        seed_catalogue_command,
        purge_expired_command,
        deliver_webhooks_command,
    )
    for command in commands:
        app.cli.add_command(command)
