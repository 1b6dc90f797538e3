"""Unit tests for the seeded exercise catalogue (DOMAIN.md section 4)."""

from __future__ import annotations

import re

import pytest

from clinic.exercises.catalogue import CATALOGUE, CATEGORIES, CatalogueExercise, by_slug

# One row per exercise of the DOMAIN.md section 4 table (the warm-up and cool-down rows
# split into one exercise each): slug -> (name, category, sets, reps, hold seconds, per side).
EXPECTED = {
    "glute-bridge": ("Glute bridge", "strengthening_gluteal", 3, 12, None, False),
    "clamshell": ("Clamshell", "strengthening_gluteal", 3, 12, None, True),
    "side-lying-leg-raise": ("Side-lying leg raise", "strengthening_gluteal", 3, 12, None, True),
    "single-leg-deadlift": ("Single-leg deadlift", "strengthening_gluteal", 3, 10, None, True),
    "plank": ("Plank", "core", 3, None, 45, False),
    "side-plank": ("Side plank", "core", 3, None, 45, True),
    "bird-dog": ("Bird dog", "core", 3, 12, None, True),
    "seated-hip-flexor-raise": (
        "Seated hip flexor raise",
        "strengthening_hip_flexor",
        3,
        12,
        None,
        True,
    ),
    "resistance-band-hip-flexion": (
        "Resistance band hip flexion",
        "strengthening_hip_flexor",
        3,
        12,
        None,
        True,
    ),
    "kneeling-hip-flexor-stretch": ("Kneeling hip flexor stretch", "stretch", 3, None, 30, True),
    "standing-hip-flexor-stretch": ("Standing hip flexor stretch", "stretch", 3, None, 30, True),
    "towel-hamstring-stretch": ("Towel hamstring stretch", "stretch", 3, None, 30, True),
    "standing-hamstring-stretch": ("Standing hamstring stretch", "stretch", 3, None, 30, False),
    "piriformis-stretch": ("Piriformis stretch", "stretch", 3, None, 30, True),
    "figure-four-stretch": ("Figure-four stretch", "stretch", 3, None, 30, True),
    "standing-it-band-stretch": ("Standing IT band (TFL) stretch", "stretch", 3, None, 30, True),
    "leg-swings": ("Leg swings", "dynamic_warmup", 1, 12, None, True),
    "high-knees": ("High knees", "dynamic_warmup", 1, 12, None, False),
    "butt-kicks": ("Butt kicks", "dynamic_warmup", 1, 12, None, False),
    "quadriceps-stretch": ("Quadriceps stretch", "cooldown_stretch", 1, None, 30, True),
    "calf-stretch": ("Calf stretch", "cooldown_stretch", 1, None, 30, True),
}

SAFETY_CUES = ("stop", "ease off", "release", "loosen", "skip", "slow down", "rest on your knees")


def test_every_domain_row_is_in_the_catalogue_with_its_dosage() -> None:
    actual = {
        e.slug: (
            e.name,
            e.category,
            e.default_sets,
            e.default_reps,
            e.default_hold_seconds,
            e.per_side,
        )
        for e in CATALOGUE
    }
    assert actual == EXPECTED


def test_slugs_and_names_are_unique() -> None:
    slugs = [exercise.slug for exercise in CATALOGUE]
    names = [exercise.name for exercise in CATALOGUE]
    assert len(slugs) == len(set(slugs)) == 21
    assert len(names) == len(set(names)) == 21
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in slugs)


@pytest.mark.parametrize("exercise", CATALOGUE, ids=lambda e: e.slug)
def test_each_exercise_has_reps_or_a_hold_never_both(exercise: CatalogueExercise) -> None:
    assert (exercise.default_reps is None) != (exercise.default_hold_seconds is None)
    assert exercise.default_sets >= 1


@pytest.mark.parametrize("exercise", CATALOGUE, ids=lambda e: e.slug)
def test_instructions_are_three_to_five_sentences_with_a_safety_cue(
    exercise: CatalogueExercise,
) -> None:
    sentences = re.split(r"(?<=[.!?])\s+", exercise.instructions.strip())
    assert 3 <= len(sentences) <= 5
    assert exercise.instructions.endswith(".")
    assert any(cue in exercise.instructions.lower() for cue in SAFETY_CUES)


@pytest.mark.parametrize("exercise", CATALOGUE, ids=lambda e: e.slug)
def test_each_exercise_names_its_target_muscles(exercise: CatalogueExercise) -> None:
    assert exercise.target_muscles
    assert all(muscle and muscle == muscle.lower() for muscle in exercise.target_muscles)


def test_every_category_is_used() -> None:
    assert {exercise.category for exercise in CATALOGUE} == set(CATEGORIES)


def test_equipment_matches_what_the_exercise_needs() -> None:
    with_equipment = {e.slug: e.equipment for e in CATALOGUE if e.equipment}
    assert with_equipment == {
        "seated-hip-flexor-raise": ("chair",),
        "resistance-band-hip-flexion": ("band",),
        "towel-hamstring-stretch": ("towel",),
        "quadriceps-stretch": ("chair",),
    }


def test_by_slug_finds_an_exercise_and_refuses_an_unknown_one() -> None:
    assert by_slug("clamshell").name == "Clamshell"
    with pytest.raises(KeyError):
        by_slug("burpee")


@pytest.mark.parametrize(
    ("reps", "hold", "category", "equipment"),
    [
        (10, 30, "core", ()),
        (None, None, "core", ()),
        (10, None, "cardio", ()),
        (10, None, "core", ("kettlebell",)),
    ],
)
def test_invalid_exercise_definitions_are_refused(
    reps: int | None, hold: int | None, category: str, equipment: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        CatalogueExercise(
            "x",
            "X",
            category,
            ("core",),
            equipment,
            "Do it. Slowly. Stop if it hurts.",
            1,
            reps,
            hold,
            False,
        )
