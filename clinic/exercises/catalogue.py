"""The exercise catalogue seeded on install (DOMAIN.md section 4; source article
sections 5, 6 and 8). Pure data: the seeding service inserts it idempotently by slug.

Default dosage follows the DOMAIN.md table: 3 sets for "2-3 sets/reps", the middle
of a repetition range (12 for 10-15, 10 for 8-12), the middle of a hold range (45 s
for 30-60 s). The warm-up and cool-down rows give no set count: one set.
Instructions are our own wording for patients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CATEGORIES: Final = (
    "strengthening_gluteal",
    "core",
    "strengthening_hip_flexor",
    "stretch",
    "dynamic_warmup",
    "cooldown_stretch",
)
EQUIPMENT: Final = ("band", "towel", "chair")


@dataclass(frozen=True)
class CatalogueExercise:
    slug: str
    name: str
    category: str
    target_muscles: tuple[str, ...]
    equipment: tuple[str, ...]
    instructions: str
    default_sets: int
    default_reps: int | None
    default_hold_seconds: int | None
    per_side: bool

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.slug}: unknown category {self.category!r}")
        if (self.default_reps is None) == (self.default_hold_seconds is None):
            raise ValueError(f"{self.slug}: give default reps or a hold time, not both")
        unknown = set(self.equipment) - set(EQUIPMENT)
        if unknown:
            raise ValueError(f"{self.slug}: unknown equipment {sorted(unknown)}")


def _reps(
    slug: str,
    name: str,
    category: str,
    muscles: tuple[str, ...],
    instructions: str,
    *,
    reps: int,
    sets: int = 3,
    per_side: bool,
    equipment: tuple[str, ...] = (),
) -> CatalogueExercise:
    return CatalogueExercise(
        slug, name, category, muscles, equipment, instructions, sets, reps, None, per_side
    )


def _hold(
    slug: str,
    name: str,
    category: str,
    muscles: tuple[str, ...],
    instructions: str,
    *,
    seconds: int,
    sets: int = 3,
    per_side: bool,
    equipment: tuple[str, ...] = (),
) -> CatalogueExercise:
    return CatalogueExercise(
        slug, name, category, muscles, equipment, instructions, sets, None, seconds, per_side
    )


CATALOGUE: Final[tuple[CatalogueExercise, ...]] = (
    # --- Gluteal strengthening (article 5.1) ---
    _reps(
        "glute-bridge",
        "Glute bridge",
        "strengthening_gluteal",
        ("gluteus maximus", "hamstrings", "core"),
        "Lie face up with both knees bent and your heels resting on the floor about "
        "hip-width apart. Brace your stomach, press through your heels and raise your "
        "pelvis until knees, hips and shoulders form one line. Pause for two or three "
        "seconds at the top, then roll back down slowly. Keep the effort in your buttocks "
        "rather than your lower back, and stop if you feel sharp pain in the hip or back.",
        reps=12,
        per_side=False,
    ),
    _reps(
        "clamshell",
        "Clamshell",
        "strengthening_gluteal",
        ("gluteus medius", "hip external rotators"),
        "Lie on one side, hips and knees bent, one leg resting on the other. "
        "Keep your heels touching and lift the upper knee as far as you can without "
        "letting your pelvis roll backwards. Hold briefly, then lower the knee under "
        "control. Do all the repetitions on one side before turning over, and stop if "
        "the movement causes sharp pain.",
        reps=12,
        per_side=True,
    ),
    _reps(
        "side-lying-leg-raise",
        "Side-lying leg raise",
        "strengthening_gluteal",
        ("gluteus medius", "gluteus minimus"),
        "Lie on one side, both legs straight and stacked, and rest your "
        "head on your lower arm. Lift the upper leg towards the ceiling with the knee "
        "straight and the toes pointing forward, without rolling your hips back. Pause, "
        "then lower it slowly. Stop if you feel sharp pain at the side of the hip.",
        reps=12,
        per_side=True,
    ),
    _reps(
        "single-leg-deadlift",
        "Single-leg deadlift",
        "strengthening_gluteal",
        ("gluteus maximus", "hamstrings", "gluteus medius"),
        "Balance on one leg with that knee softly bent; touch a wall or chair if you need "
        "support. Tip your trunk forward from the hip while the free leg reaches straight "
        "out behind you, with a flat back and a level pelvis. Go only as far as "
        "you can control, then squeeze your buttock to stand tall again. Stop if you "
        "lose balance or feel sharp pain.",
        reps=10,
        per_side=True,
    ),
    # --- Core (article 5.2) ---
    _hold(
        "plank",
        "Plank",
        "core",
        ("abdominals", "back extensors", "gluteus maximus"),
        "Rest on your forearms and toes with your elbows under your shoulders. Tighten "
        "your stomach and buttocks so your body stays straight from head to heels, "
        "without letting your hips sag or rise. Breathe steadily throughout the hold. "
        "Rest on your knees as soon as your form slips or if your back or hip hurts.",
        seconds=45,
        per_side=False,
    ),
    _hold(
        "side-plank",
        "Side plank",
        "core",
        ("obliques", "gluteus medius", "quadratus lumborum"),
        "Lie on one side propped up on your forearm, elbow under the shoulder, legs "
        "straight and stacked. Lift your hips so your body forms a straight line from head "
        "to feet, and hold it there. Keep your hips pushed forward rather than bending at "
        "the waist. Bend your knees to make it easier, and stop if you feel sharp pain.",
        seconds=45,
        per_side=True,
    ),
    _reps(
        "bird-dog",
        "Bird dog",
        "core",
        ("abdominals", "back extensors", "gluteus maximus"),
        "Start on hands and knees, hands below shoulders and knees below hips, with a "
        "flat back. Slowly stretch one arm ahead and the opposite leg behind until both "
        "are level with your trunk, keeping your pelvis still. Hold for a moment, return, "
        "then switch to the other arm and leg. Move slowly and stop if it causes pain.",
        reps=12,
        per_side=True,
    ),
    # --- Hip flexor strengthening (article 5.3) ---
    _reps(
        "seated-hip-flexor-raise",
        "Seated hip flexor raise",
        "strengthening_hip_flexor",
        ("iliopsoas", "rectus femoris"),
        "Sit tall near the front of a sturdy chair with both feet on the floor. Keeping "
        "your back upright, lift one thigh a few centimetres off the seat, then lower "
        "it slowly. Avoid leaning back to help the lift. Alternate legs, and stop if you "
        "feel a pinch or sharp pain in the front of the hip.",
        reps=12,
        per_side=True,
        equipment=("chair",),
    ),
    _reps(
        "resistance-band-hip-flexion",
        "Resistance band hip flexion",
        "strengthening_hip_flexor",
        ("iliopsoas", "rectus femoris"),
        "Tie an exercise band to something solid near the floor and loop the other end "
        "around one ankle, facing away from the anchor. Stand tall, holding a support if "
        "needed, and bring the knee forward and up against the band. Lower the leg slowly "
        "without letting the band snap it back. Stop if the front of the hip becomes "
        "sharply painful.",
        reps=12,
        per_side=True,
        equipment=("band",),
    ),
    # --- Stretches (article 6) ---
    _hold(
        "kneeling-hip-flexor-stretch",
        "Kneeling hip flexor stretch",
        "stretch",
        ("iliopsoas", "rectus femoris"),
        "Go down on one knee, with a cushion under it, and place the other foot flat in "
        "front of you. Tuck your tailbone under and shift your weight ahead so that the "
        "front of the kneeling-side hip feels a gentle pull. Keep your trunk upright "
        "and breathe calmly while holding. Ease off if the stretch turns into pain.",
        seconds=30,
        per_side=True,
    ),
    _hold(
        "standing-hip-flexor-stretch",
        "Standing hip flexor stretch",
        "stretch",
        ("iliopsoas", "rectus femoris"),
        "Stand in a short split stance with one foot a step behind the other and both "
        "knees slightly bent. Squeeze the buttock of the back leg and move your pelvis "
        "forward until the front of that hip feels stretched. Stay tall without arching "
        "your lower back. Stop if you feel pain rather than a stretch.",
        seconds=30,
        per_side=True,
    ),
    _hold(
        "towel-hamstring-stretch",
        "Towel hamstring stretch",
        "stretch",
        ("hamstrings",),
        "Lie face up and wrap a towel around the sole of one foot, holding an end in each "
        "hand. Raise that leg with the knee as straight as is comfortable while the other "
        "leg rests on the floor. Draw the towel towards you until the rear of the thigh "
        "feels a mild stretch, and hold. Stop if you feel tingling or pain down the leg.",
        seconds=30,
        per_side=True,
        equipment=("towel",),
    ),
    _hold(
        "standing-hamstring-stretch",
        "Standing hamstring stretch",
        "stretch",
        ("hamstrings",),
        "Stand with your feet side by side and knees soft. Fold forward from the hips with "
        "a long, flat back, letting your hands slide down your legs towards your feet. "
        "Stop where the rear of your thighs feels a comfortable stretch and hold. Come "
        "back up slowly, and skip this stretch if it hurts your back or makes you dizzy.",
        seconds=30,
        per_side=False,
    ),
    _hold(
        "piriformis-stretch",
        "Piriformis stretch",
        "stretch",
        ("piriformis", "gluteus maximus"),
        "Lie face up with both knees bent and feet on the floor. Rest one ankle on the "
        "other knee, then hold the bent knee of the crossed leg and guide it diagonally "
        "towards the opposite shoulder. Hold where you feel a stretch deep in the buttock. "
        "Keep your shoulders and head relaxed, and ease off if pain spreads down the leg.",
        seconds=30,
        per_side=True,
    ),
    _hold(
        "figure-four-stretch",
        "Figure-four stretch",
        "stretch",
        ("gluteus maximus", "piriformis", "hip external rotators"),
        "Lie face up and rest one ankle across the opposite thigh, just above the knee, so "
        "your legs make a number four. Thread your hands behind the thigh of the lower leg "
        "and draw it towards your chest until the buttock of the crossed leg feels "
        "stretched. Keep your head on the floor and breathe slowly. Release if you feel a "
        "pinch in the front of the hip.",
        seconds=30,
        per_side=True,
    ),
    _hold(
        "standing-it-band-stretch",
        "Standing IT band (TFL) stretch",
        "stretch",
        ("tensor fasciae latae", "gluteus medius"),
        "Stand next to a wall and cross the leg nearer to it behind the other one. Push "
        "that hip gently out towards the wall while leaning your upper body away, until "
        "the outer hip and thigh feel a stretch. Keep both soles on the "
        "ground while you hold. Stop if you feel sharp pain over the side of the hip.",
        seconds=30,
        per_side=True,
    ),
    # --- Dynamic warm-up (article 8.2) ---
    _reps(
        "leg-swings",
        "Leg swings",
        "dynamic_warmup",
        ("hip flexors", "hamstrings", "hip adductors", "hip abductors"),
        "Stand side-on to a wall and rest one hand on it for balance. Swing the outer leg "
        "forwards and backwards in a smooth, relaxed arc, then across the front of your "
        "body and out to the side. Start with small swings and let them grow as the hip "
        "loosens. Keep the movement controlled and stop if the hip catches or hurts.",
        reps=12,
        sets=1,
        per_side=True,
    ),
    _reps(
        "high-knees",
        "High knees",
        "dynamic_warmup",
        ("iliopsoas", "rectus femoris", "calves"),
        "March or jog on the spot, lifting each knee towards hip height in turn. Stay "
        "tall, land softly on the balls of your feet and swing your arms in time with your "
        "legs. Begin at walking pace and speed up only if it feels easy. Slow down or stop "
        "if the front of the hip hurts.",
        reps=12,
        sets=1,
        per_side=False,
    ),
    _reps(
        "butt-kicks",
        "Butt kicks",
        "dynamic_warmup",
        ("hamstrings", "quadriceps"),
        "Walk or jog gently on the spot, bringing each heel up behind you towards your "
        "buttock in turn. Keep your knees pointing down and your trunk upright. Build the "
        "pace gradually over the repetitions. Stop if you feel a cramp or sharp pain in the "
        "thigh or hip.",
        reps=12,
        sets=1,
        per_side=False,
    ),
    # --- Cool-down stretches (article 8.4) ---
    _hold(
        "quadriceps-stretch",
        "Quadriceps stretch",
        "cooldown_stretch",
        ("quadriceps", "rectus femoris"),
        "Stand tall holding a chair or wall with one hand. Bend one knee and take hold of "
        "that ankle, drawing the heel towards your buttock with the knees side by side. "
        "Tuck your pelvis slightly under to feel the stretch along the front of the thigh. "
        "Loosen your grip if the knee or hip hurts.",
        seconds=30,
        sets=1,
        per_side=True,
        equipment=("chair",),
    ),
    _hold(
        "calf-stretch",
        "Calf stretch",
        "cooldown_stretch",
        ("gastrocnemius", "soleus"),
        "Face a wall with both hands on it and step one foot well back. Keep the back leg "
        "straight with its heel pressed to the floor, and bend the front knee until the "
        "back calf feels stretched. Hold, then repeat with the back knee slightly bent to "
        "reach the lower calf. Ease off if you feel pain in the heel or Achilles tendon.",
        seconds=30,
        sets=1,
        per_side=True,
    ),
)


def by_slug(slug: str) -> CatalogueExercise:
    """The catalogue exercise with this slug; KeyError when there is none."""
    for exercise in CATALOGUE:
        if exercise.slug == slug:
            return exercise
    raise KeyError(slug)
