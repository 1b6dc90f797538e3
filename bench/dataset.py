"""The synthetic clinic: rows for one patient and everything hanging off them.

Pure generation, no database: ``patient_rows`` returns plain dicts keyed by
table name, shaped as the app writes them (clinic_id on every clinic-owned
row, version 1, lower-cased name keys, valid statuses, exam bodies in the
shape of API.md). Numbers vary per patient; a fixed seed gives the same
names and shapes on every run (dates are counted back from today).
``validate_sample`` passes a patient's rows through the app's own input
schemas, so a drift in the API's rules fails the seed instead of silently
benchmarking invalid data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from clinic.assessments.metrics import METRICS_BY_CODE

IDENTIFIER_SYSTEM = "urn:bench:pms"
EPISODES_PER_PATIENT = 3
ASSESSMENTS_PER_PATIENT = 6  # two per episode: initial/progress, or progress/discharge
GOALS_PER_EPISODE = 2
LOGS_PER_PATIENT = 30

# fmt: off
GIVEN_NAMES = (
    "Ada", "Alex", "Alice", "Amir", "Anna", "Arne", "Astrid", "Ben", "Bo", "Carla", "Chen",
    "David", "Dina", "Ebba", "Elias", "Elin", "Emil", "Emma", "Erik", "Eva", "Felix", "Filip",
    "Frida", "Greta", "Hanna", "Hugo", "Ida", "Ines", "Isak", "Jan", "Jonas", "Julia", "Kai",
    "Karin", "Klara", "Lars", "Lea", "Leo", "Lina", "Liv", "Lucas", "Maja", "Marco", "Maria",
    "Mats", "Maya", "Mila", "Nils", "Nina", "Noah", "Nora", "Olle", "Omar", "Oskar", "Paula",
    "Per", "Petra", "Rami", "Rosa", "Rut", "Sara", "Selma", "Sofia", "Stina", "Theo", "Tove",
    "Ulla", "Vera", "Viktor", "Wilma", "Yara", "Yusuf", "Zoe"
)
# Surnames are stem + ending (40 x 20 = 800 of them) drawn with a Zipf-like skew:
# a few are common, most are rare, as in a real patient register.
_STEMS = (
    "ander", "bern", "carl", "dahl", "eng", "fors", "gran", "hag", "holm", "isak", "jon", "karl",
    "lind", "lund", "malm", "nord", "olof", "pers", "ros", "sand", "sjo", "stor", "thor", "ulf",
    "vik", "wall", "alm", "berg", "bjor", "ek", "fal", "gus", "hed", "hult", "jans", "kull",
    "lag", "mel", "ny", "rud"
)
_ENDINGS = (
    "son", "sen", "berg", "gren", "man", "strom", "quist", "dal", "lund", "holm", "by", "blad",
    "feldt", "hall", "mark", "vall", "stedt", "ling", "ner", "kvist"
)
# fmt: on
FAMILY_NAMES = tuple(f"{s.capitalize()}{e}" for s in _STEMS for e in _ENDINGS)
_FAMILY_CUM_WEIGHTS = list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(FAMILY_NAMES))))

PAIN_LOCATIONS = ("anterior", "lateral", "posterior", "deep_groin")
PAIN_TYPES = ("sharp", "dull", "aching", "throbbing")
PAIN_ONSETS = ("during_run", "immediately_after", "hours_after")
DIAGNOSES = ("gluteal_tendinopathy", "iliopsoas_tendinopathy", "fai_cam", "labral_tear")
SURFACES = ("road", "trail", "track", "treadmill", "grass")


@dataclass(frozen=True)
class Catalogue:
    """One clinic's exercises, as program items need them."""

    ids: tuple[uuid.UUID, ...]
    per_side: tuple[bool, ...]
    reps: tuple[int | None, ...]
    hold_seconds: tuple[int | None, ...]


@dataclass
class Context:
    clinic_id: uuid.UUID
    clinician_id: uuid.UUID
    catalogue: Catalogue
    now: datetime
    rng: random.Random
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def change(self, resource_type: str, resource_id: uuid.UUID, at: datetime) -> None:
        # What record_change writes for a create, so the change feed has data.
        self.add(
            "changes",
            {
                "clinic_id": self.clinic_id,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "action": "created",
                "version": 1,
                "changed_at": at,
            },
        )


def _side_pair(rng: random.Random, low: int, high: int) -> dict[str, int]:
    return {"left": rng.randint(low, high), "right": rng.randint(low, high)}


def assessment_body(rng: random.Random, affected: str, progress: float) -> dict[str, Any]:
    """An exam with every part of API.md's example; ``progress`` (0..1) improves the numbers."""
    other = "left" if affected == "right" else "right"
    gain = round(10 * progress)
    ext_affected = rng.randint(-15, 5) + gain
    thomas = {
        s: {
            "hip_extension_deg": ext,
            "knee_flexion_deg": rng.randint(60, 95),
            "hip_abduction_deg": rng.randint(0, 25),
            "result": "positive" if ext < 0 else "negative",
        }
        for s, ext in ((affected, ext_affected), (other, rng.randint(0, 15)))
    }
    trendelenburg_positive = rng.random() > 0.4 + progress / 2
    squat = {
        affected: {"reps": rng.randint(3, 10) + gain // 2, "pain": rng.random() < 0.5},
        other: {"reps": rng.randint(8, 15), "pain": False},
    }
    for side in squat.values():
        side["pelvic_drop"] = rng.random() < 0.3
    return {
        "pain": {
            "rest": rng.randint(0, 3),
            "activity": max(0, rng.randint(2, 6) - gain // 3),
            "running": max(0, rng.randint(3, 8) - gain // 2),
            "location": rng.sample(PAIN_LOCATIONS, rng.randint(1, 2)),
            "type": rng.sample(PAIN_TYPES, rng.randint(1, 2)),
            "onset": rng.choice(PAIN_ONSETS),
        },
        "thomas_test": thomas,
        "trendelenburg": {
            affected: (
                {"result": "positive", "hold_seconds": rng.randint(5, 20), "compensated": True}
                if trendelenburg_positive
                else {"result": "negative", "hold_seconds": 30}
            ),
            other: {"result": "negative", "hold_seconds": 30},
        },
        "straight_leg_raise": _side_pair(rng, 55, 90),
        "rom": [
            {
                "joint": "hip",
                "motion": "extension",
                "side": affected,
                "mode": "passive",
                "degrees": max(-30, ext_affected + rng.randint(5, 12)),
                "painful": rng.random() < 0.6 - progress / 2,
            },
            {
                "joint": "hip",
                "motion": "extension",
                "side": other,
                "mode": "passive",
                "degrees": rng.randint(12, 25),
            },
            {
                "joint": "hip",
                "motion": "flexion",
                "side": affected,
                "mode": "active",
                "degrees": rng.randint(95, 125),
            },
            {
                "joint": "hip",
                "motion": "flexion",
                "side": other,
                "mode": "active",
                "degrees": rng.randint(110, 135),
            },
        ],
        "strength": [
            {"muscle_group": "hip_abductors", "side": affected, "grade": rng.randint(3, 5)},
            {"muscle_group": "hip_abductors", "side": other, "grade": 5},
            {"muscle_group": "hip_extensors", "side": affected, "grade": rng.randint(3, 5)},
        ],
        "special_tests": [
            {"test": "fadir", "side": affected, "result": rng.choice(("positive", "negative"))},
            {"test": "faber", "side": affected, "result": "negative"},
        ],
        "functional": {
            "plank_seconds": rng.randint(20, 70) + 2 * gain,
            "side_plank_seconds": {
                affected: rng.randint(10, 40) + gain,
                other: rng.randint(30, 60),
            },
            "walking_minutes_pain_free": rng.randint(10, 45) + gain,
            "single_leg_squat": squat,
        },
        "running_form": {
            "pelvic_drop": rng.random() < 0.5,
            "knee_valgus": rng.random() < 0.3,
            "overstriding": rng.random() < 0.5,
            "cadence_spm": rng.randint(150, 182),
        },
        "outcome_measures": {"lefs": [min(4, rng.randint(1, 4) + (gain > 5)) for _ in range(20)]},
    }


def episode_history(rng: random.Random) -> dict[str, Any]:
    return {
        "pain_location": rng.sample(PAIN_LOCATIONS, rng.randint(1, 2)),
        "pain_type": rng.sample(PAIN_TYPES, 1),
        "pain_onset": rng.choice(PAIN_ONSETS),
        "aggravating_factors": rng.sample(("stairs", "running", "hills", "lying_on_side"), 2),
        "accompanying_symptoms": ["stiffness"],
        "running": {
            "weekly_distance_km": rng.randint(10, 80),
            "runs_per_week": rng.randint(2, 6),
            "recent_volume_change_percent": rng.randint(0, 40),
        },
        "footwear": {"shoe_distance_km": rng.randint(100, 900)},
    }


def patient_rows(ctx: Context, number: int) -> None:
    """Add patient ``number`` (global, from 0) and their clinical record to ``ctx.rows``."""
    rng, now = ctx.rng, ctx.now
    patient_id = ctx.uuid()
    given = rng.choice(GIVEN_NAMES)
    family = rng.choices(FAMILY_NAMES, cum_weights=_FAMILY_CUM_WEIGHTS)[0]
    registered = now - timedelta(days=rng.randint(400, 1400), minutes=rng.randint(0, 1439))
    ctx.add(
        "patients",
        {
            "id": patient_id,
            "clinic_id": ctx.clinic_id,
            "version": 1,
            "created_at": registered,
            "updated_at": registered,
            "given_name": given,
            "family_name": family,
            "given_name_key": given.lower(),
            "family_name_key": family.lower(),
            "birth_date": date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
            "sex": rng.choice(("female", "male", "female", "male", "other")),
            "email": f"{given.lower()}.{family.lower()}.{number}@example.org",
            "phone": f"+46 70 {number % 1000:03d} {number // 1000 % 10000:04d}",
            "running_profile": {
                "weekly_distance_km": float(rng.randint(10, 90)),
                "runs_per_week": rng.randint(2, 7),
                "usual_surfaces": rng.sample(SURFACES, 2),
            },
            "archived_at": None,
        },
    )
    ctx.add(
        "patient_identifiers",
        {
            "id": ctx.uuid(),
            "clinic_id": ctx.clinic_id,
            "patient_id": patient_id,
            "system": IDENTIFIER_SYSTEM,
            "value": f"PMS-{number:07d}",
        },
    )
    ctx.change("patient", patient_id, registered)
    # Episodes one after another; only the latest is still open (in treatment).
    latest_start = now - timedelta(days=rng.randint(40, 120), hours=rng.randint(0, 23))
    starts = [
        registered + timedelta(days=5),
        registered + (latest_start - registered) / 2,
        latest_start,
    ]
    for position, started in enumerate(starts):
        latest = position == EPISODES_PER_PATIENT - 1
        episode_id = _episode(ctx, patient_id, started, latest)
        if latest:
            _program(ctx, patient_id, episode_id, started)


def _episode(ctx: Context, patient_id: uuid.UUID, started: datetime, latest: bool) -> uuid.UUID:
    rng = ctx.rng
    episode_id = ctx.uuid()
    side = rng.choice(("left", "right", "right", "both"))
    affected = side if side != "both" else "right"
    closed = None if latest else started + timedelta(days=rng.randint(60, 100))
    ctx.add(
        "episodes",
        {
            "id": episode_id,
            "clinic_id": ctx.clinic_id,
            "version": 1,
            "created_at": started,
            "updated_at": closed or started,
            "patient_id": patient_id,
            "title": f"{affected.capitalize()} hip pain on running",
            "side": side,
            "onset_date": (started - timedelta(days=rng.randint(7, 90))).date(),
            "history": episode_history(rng),
            "status": "in_treatment" if latest else "discharged",
            "held_from": None,
            "closed_at": closed,
        },
    )
    ctx.add(
        "episode_diagnoses",
        {
            "id": ctx.uuid(),
            "clinic_id": ctx.clinic_id,
            "episode_id": episode_id,
            "position": 0,
            "code": rng.choice(DIAGNOSES),
            "side": affected,
            "note": None,
            "recorded_at": started,
        },
    )
    ctx.change("episode", episode_id, started)
    per_episode = ASSESSMENTS_PER_PATIENT // EPISODES_PER_PATIENT
    bodies = []
    for n in range(per_episode):
        performed = started + timedelta(days=7 + 21 * n, hours=rng.randint(8, 16))
        kind = "initial" if n == 0 else ("progress" if latest else "discharge")
        bodies.append(_assessment(ctx, patient_id, episode_id, affected, performed, kind, n))
    _goals(ctx, patient_id, episode_id, affected, started, bodies, latest)
    return episode_id


def _assessment(
    ctx: Context,
    patient_id: uuid.UUID,
    episode_id: uuid.UUID,
    affected: str,
    performed: datetime,
    kind: str,
    n: int,
) -> dict[str, Any]:
    assessment_id = ctx.uuid()
    body = assessment_body(ctx.rng, affected, progress=min(1.0, n / 2))
    finalized = performed + timedelta(hours=1)
    ctx.add(
        "assessments",
        {
            "id": assessment_id,
            "clinic_id": ctx.clinic_id,
            "version": 1,
            "created_at": performed,
            "updated_at": finalized,
            "episode_id": episode_id,
            "patient_id": patient_id,
            "kind": kind,
            "performed_at": performed,
            "clinician_id": ctx.clinician_id,
            "status": "final",
            "body": body,
            "notes": "Reassessed after the home program." if n else None,
            "amends_id": None,
            "amendment_reason": None,
            "superseded_by_id": None,
            "finalized_at": finalized,
            "finalized_by": ctx.clinician_id,
        },
    )
    ctx.change("assessment", assessment_id, performed)
    return body


def _goals(
    ctx: Context,
    patient_id: uuid.UUID,
    episode_id: uuid.UUID,
    affected: str,
    started: datetime,
    bodies: list[dict[str, Any]],
    latest: bool,
) -> None:
    """A long-term plank goal and a short-term hip extension goal under it."""
    set_at = started + timedelta(days=7, hours=18)
    first, last = bodies[0], bodies[-1]

    def extension(body: dict[str, Any]) -> float:
        return next(r["degrees"] for r in body["rom"] if r["side"] == affected)

    long_id = ctx.uuid()
    specs = (
        (long_id, "long", "plank.seconds", None, 60.0, 56, None, "Hold a front plank a minute"),
        (ctx.uuid(), "short", "rom.hip.extension", affected, 15.0, 21, long_id, "Hip extension"),
    )
    for goal_id, term, metric, side, target, days, parent, description in specs:
        if metric == "plank.seconds":
            baseline, current = (
                first["functional"]["plank_seconds"],
                last["functional"]["plank_seconds"],
            )
        else:
            baseline, current = extension(first), extension(last)
        achieved = current >= target
        span = target - baseline
        percent = 100.0 if achieved or span <= 0 else round(100 * (current - baseline) / span, 1)
        ctx.add(
            "goals",
            {
                "id": goal_id,
                "clinic_id": ctx.clinic_id,
                "version": 1,
                "created_at": set_at,
                "updated_at": set_at,
                "episode_id": episode_id,
                "patient_id": patient_id,
                "term": term,
                "description": description,
                "metric": metric,
                "side": side,
                "baseline_value": float(baseline),
                "target_value": target,
                "comparator": ">=",
                "unit": METRICS_BY_CODE[metric].unit,
                "start_date": set_at.date(),
                "due_date": set_at.date() + timedelta(days=days),
                "rationale": "Set with the patient at the initial assessment.",
                "parent_goal_id": parent,
                "lifecycle_status": "active" if latest else "completed",
                "achievement_status": (
                    "achieved" if achieved else ("in-progress" if latest else "not-achieved")
                ),
                "current_value": float(current),
                "progress_percent": max(0.0, min(100.0, percent)),
                "evaluated_at": set_at,
            },
        )
        ctx.change("goal", goal_id, set_at)


def _program(ctx: Context, patient_id: uuid.UUID, episode_id: uuid.UUID, started: datetime) -> None:
    """The latest episode's published program and the patient's session logs against it."""
    rng, cat = ctx.rng, ctx.catalogue
    program_id = ctx.uuid()
    published = started + timedelta(days=8)
    start_date = published.date()
    ctx.add(
        "programs",
        {
            "id": program_id,
            "clinic_id": ctx.clinic_id,
            "version": 1,
            "created_at": published,
            "updated_at": published,
            "episode_id": episode_id,
            "patient_id": patient_id,
            "number": 1,
            "status": "published",
            "start_date": start_date,
            "end_date": None,
            "notes": None,
            "published_at": published,
            "superseded_at": None,
        },
    )
    ctx.change("program", program_id, published)
    items = []
    for position, n in enumerate(rng.sample(range(len(cat.ids)), rng.randint(6, 8))):
        item = {
            "id": ctx.uuid(),
            "clinic_id": ctx.clinic_id,
            "program_id": program_id,
            "position": position,
            "exercise_id": cat.ids[n],
            "sets": rng.randint(2, 4),
            # Reps or a hold, as the exercise's default dose says (never both).
            "reps": cat.reps[n] or (None if cat.hold_seconds[n] else 10),
            "hold_seconds": None if cat.reps[n] or not cat.hold_seconds[n] else cat.hold_seconds[n],
            "per_side": cat.per_side[n],
            "times_per_day": rng.randint(1, 2),
            "days_per_week": rng.randint(5, 7),
            "notes": None,
        }
        ctx.add("program_items", item)
        items.append(item)
    today = ctx.now.date()
    span = (today - start_date).days
    for _ in range(LOGS_PER_PATIENT):
        day = start_date + timedelta(days=rng.randint(0, span))
        logged_at = min(ctx.now, datetime.combine(day, time(18), tzinfo=UTC))
        log_id = ctx.uuid()
        done = rng.sample(items, rng.randint(3, len(items)))
        ctx.add(
            "exercise_logs",
            {
                "id": log_id,
                "clinic_id": ctx.clinic_id,
                "patient_id": patient_id,
                "program_id": program_id,
                "date": day,
                "items": [
                    {"program_item_id": str(i["id"]), "sets_completed": rng.randint(1, i["sets"])}
                    for i in done
                ],
                "pain_nrs": rng.randint(0, 5),
                "rpe": rng.randint(3, 8),
                "notes": None,
                "created_at": logged_at,
            },
        )
        ctx.change("exercise_log", log_id, logged_at)


def validate_sample(rows: dict[str, list[dict[str, Any]]]) -> None:
    """Pass one patient's generated input through the API's own schemas (raises when invalid)."""
    from clinic.assessments.schemas import AssessmentCreateSchema
    from clinic.episodes.schemas import HistorySchema
    from clinic.patients.schemas import PatientWriteSchema
    from clinic.portal.schemas import ExerciseLogWriteSchema
    from clinic.programs.schemas import ProgramItemInSchema

    patient = rows["patients"][0]
    PatientWriteSchema().load(
        {
            **{k: patient[k] for k in ("given_name", "family_name", "sex", "email", "phone")},
            "birth_date": patient["birth_date"].isoformat(),
            "running_profile": patient["running_profile"],
        }
    )
    for episode in rows["episodes"][:EPISODES_PER_PATIENT]:
        HistorySchema().load(episode["history"])
    for assessment in rows["assessments"][:ASSESSMENTS_PER_PATIENT]:
        AssessmentCreateSchema().load(
            {
                "kind": assessment["kind"],
                "performed_at": assessment["performed_at"].isoformat(),
                **assessment["body"],
            }
        )
    program_id = rows["programs"][0]["id"]
    items = [i for i in rows["program_items"] if i["program_id"] == program_id]
    for item in items:
        ProgramItemInSchema().load(
            {
                "exercise_id": str(item["exercise_id"]),
                **{
                    k: item[k]
                    for k in ("sets", "reps", "hold_seconds", "times_per_day", "days_per_week")
                },
            }
        )
    for log in rows["exercise_logs"][:LOGS_PER_PATIENT]:
        ExerciseLogWriteSchema().load(
            {"date": log["date"].isoformat(), "program_id": str(program_id), "items": log["items"]}
        )
