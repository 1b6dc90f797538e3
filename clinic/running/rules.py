"""Return-to-running rules: the criteria checklist, the graded walk-run plan and
training-load warnings.

Pure functions over plain data (no Flask, no database); services call them.

Sources:

* Return-to-run criteria: the hip return-to-run criteria of IJSPT (Int J Sports
  Phys Ther) 2022, as adopted in DOMAIN.md section 6. Every threshold is a field of
  ``ReturnToRunThresholds`` so a clinic can change it.
* Walk-run phases and progression rules: Trials 2023, table 1 (DOMAIN.md section 6).
* Weekly distance increase: the source article's "10 % rule". Its evidence is weak:
  Buist et al. 2008 (Am J Sports Med) found no difference in injuries between a
  10 % graded programme and a 24 % one; Nielsen et al. 2014 (J Orthop Sports Phys
  Ther) linked weekly increases above 30 % to injury. Hence a configurable threshold.
* Single-run spike: Garmin-RUNSAFE Running Health Study ("How much running is too
  much?", Br J Sports Med 2025): one run more than 10 % longer than the longest run
  of the previous 30 days raised the overuse-injury rate.
* Shoe replacement: the source article's 300-500 miles (480-800 km); we remind at
  the lower end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Final, Literal

# --------------------------------------------------------------------------- #
# Shared helpers
# --------------------------------------------------------------------------- #

SIDES: Final = ("left", "right")


@dataclass(frozen=True)
class Notice:
    """A machine-readable code with a message for people (a warning or a reason)."""

    code: str
    message: str


def _number(value: object) -> float | None:
    """The value if it is a real number (booleans are not), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _section(body: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    part = body.get(name)
    return part if isinstance(part, Mapping) else {}


def _percent(part: float, whole: float) -> float:
    # Rounded to 2 decimals so binary floating-point noise cannot push a value that is
    # exactly at a threshold (e.g. 10 %) over it.
    return round(part / whole * 100, 2)


# --------------------------------------------------------------------------- #
# Return-to-run criteria (IJSPT 2022, DOMAIN.md section 6)
# --------------------------------------------------------------------------- #

CriterionStatus = Literal["met", "not_met", "not_measured"]
MET: Final = "met"
NOT_MET: Final = "not_met"
NOT_MEASURED: Final = "not_measured"


@dataclass(frozen=True)
class ReturnToRunThresholds:
    """Return-to-run thresholds (IJSPT 2022 hip return-to-run criteria)."""

    walking_minutes_pain_free: float = 30
    max_pain_activity_nrs: int = 2
    plank_seconds: float = 45
    side_plank_seconds: float = 45
    single_leg_squat_reps: int = 10
    max_rom_asymmetry_percent: float = 10.0


DEFAULT_THRESHOLDS: Final = ReturnToRunThresholds()


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    status: CriterionStatus
    evidence: dict[str, Any] = field(default_factory=dict)


def evaluate_return_to_run(
    body: Mapping[str, Any] | None,
    thresholds: ReturnToRunThresholds = DEFAULT_THRESHOLDS,
) -> list[Criterion]:
    """The return-to-run checklist for one assessment body (API.md assessment JSON).

    Any part of the body may be missing: the criteria it feeds are ``not_measured``.
    For per-side criteria a side that fails makes the criterion ``not_met`` even if the
    other side was not measured; it is ``met`` only when both sides pass.
    """
    body = body or {}
    functional = _section(body, "functional")
    return [
        _walking_criterion(functional, thresholds),
        _pain_activity_criterion(_section(body, "pain"), thresholds),
        _plank_criterion(functional, thresholds),
        _side_plank_criterion(functional, thresholds),
        _single_leg_squat_criterion(functional, thresholds),
        _trendelenburg_criterion(_section(body, "trendelenburg")),
        _rom_symmetry_criterion(body.get("rom"), thresholds),
    ]


def all_met(criteria: Iterable[Criterion]) -> bool:
    """True when there is at least one criterion and every one is met."""
    statuses = [criterion.status for criterion in criteria]
    return bool(statuses) and all(status == MET for status in statuses)


def _at_least(value: float | None, minimum: float) -> CriterionStatus:
    if value is None:
        return NOT_MEASURED
    return MET if value >= minimum else NOT_MET


def _at_most(value: float | None, maximum: float) -> CriterionStatus:
    if value is None:
        return NOT_MEASURED
    return MET if value <= maximum else NOT_MET


def _combine(statuses: Iterable[CriterionStatus]) -> CriterionStatus:
    """A failure anywhere wins over a gap; a gap wins over success."""
    seen = set(statuses)
    if NOT_MET in seen:
        return NOT_MET
    if NOT_MEASURED in seen or not seen:
        return NOT_MEASURED
    return MET


def _per_side(part: object) -> Mapping[str, Any]:
    return part if isinstance(part, Mapping) else {}


def _walking_criterion(functional: Mapping[str, Any], t: ReturnToRunThresholds) -> Criterion:
    minutes = _number(functional.get("walking_minutes_pain_free"))
    return Criterion(
        code="rtr.walking_pain_free",
        label=f"Walks at least {t.walking_minutes_pain_free:g} minutes without pain",
        status=_at_least(minutes, t.walking_minutes_pain_free),
        evidence={"walking_minutes_pain_free": minutes, "minimum": t.walking_minutes_pain_free},
    )


def _pain_activity_criterion(pain: Mapping[str, Any], t: ReturnToRunThresholds) -> Criterion:
    activity = _number(pain.get("activity"))
    return Criterion(
        code="rtr.pain_activity",
        label=f"Pain during daily activity at most {t.max_pain_activity_nrs}/10",
        status=_at_most(activity, t.max_pain_activity_nrs),
        evidence={"pain_activity_nrs": activity, "maximum": t.max_pain_activity_nrs},
    )


def _plank_criterion(functional: Mapping[str, Any], t: ReturnToRunThresholds) -> Criterion:
    seconds = _number(functional.get("plank_seconds"))
    return Criterion(
        code="rtr.plank",
        label=f"Holds a plank for at least {t.plank_seconds:g} seconds",
        status=_at_least(seconds, t.plank_seconds),
        evidence={"plank_seconds": seconds, "minimum": t.plank_seconds},
    )


def _side_plank_criterion(functional: Mapping[str, Any], t: ReturnToRunThresholds) -> Criterion:
    holds = _per_side(functional.get("side_plank_seconds"))
    seconds = {side: _number(holds.get(side)) for side in SIDES}
    return Criterion(
        code="rtr.side_plank",
        label=f"Holds a side plank for at least {t.side_plank_seconds:g} seconds on each side",
        status=_combine(_at_least(seconds[side], t.side_plank_seconds) for side in SIDES),
        evidence={"side_plank_seconds": seconds, "minimum": t.side_plank_seconds},
    )


def _squat_side_status(result: object, t: ReturnToRunThresholds) -> CriterionStatus:
    if not isinstance(result, Mapping):
        return NOT_MEASURED
    reps = _number(result.get("reps"))
    pain, pelvic_drop = result.get("pain"), result.get("pelvic_drop")
    if pain is True or pelvic_drop is True or (reps is not None and reps < t.single_leg_squat_reps):
        return NOT_MET
    if reps is None or pain is not False or pelvic_drop is not False:
        return NOT_MEASURED
    return MET


def _single_leg_squat_criterion(
    functional: Mapping[str, Any], t: ReturnToRunThresholds
) -> Criterion:
    squats = _per_side(functional.get("single_leg_squat"))
    by_side = {side: _per_side(squats.get(side)) for side in SIDES}
    return Criterion(
        code="rtr.single_leg_squat",
        label=(
            f"{t.single_leg_squat_reps} single-leg squats on each side without pain or pelvic drop"
        ),
        status=_combine(_squat_side_status(squats.get(side), t) for side in SIDES),
        evidence={
            "single_leg_squat": {
                side: {key: by_side[side].get(key) for key in ("reps", "pain", "pelvic_drop")}
                for side in SIDES
            },
            "minimum_reps": t.single_leg_squat_reps,
        },
    )


def _trendelenburg_side_status(result: object) -> CriterionStatus:
    outcome = _per_side(result).get("result")
    if outcome == "negative":
        return MET
    if outcome == "positive":
        return NOT_MET
    return NOT_MEASURED


def _trendelenburg_criterion(trendelenburg: Mapping[str, Any]) -> Criterion:
    return Criterion(
        code="rtr.trendelenburg",
        label="Trendelenburg test negative on both sides",
        status=_combine(_trendelenburg_side_status(trendelenburg.get(side)) for side in SIDES),
        evidence={
            "trendelenburg": {
                side: _per_side(trendelenburg.get(side)).get("result") for side in SIDES
            }
        },
    )


def _rom_by_motion(rom: object) -> dict[tuple[str, str | None], dict[str, float]]:
    """Hip ROM degrees keyed by (motion, mode), then side; a later entry replaces an earlier."""
    measured: dict[tuple[str, str | None], dict[str, float]] = {}
    if not isinstance(rom, Sequence) or isinstance(rom, str):
        return measured
    for entry in rom:
        if not isinstance(entry, Mapping) or entry.get("joint", "hip") != "hip":
            continue
        motion, side, degrees = (
            entry.get("motion"),
            entry.get("side"),
            _number(entry.get("degrees")),
        )
        if isinstance(motion, str) and side in SIDES and degrees is not None:
            measured.setdefault((motion, entry.get("mode")), {})[side] = degrees
    return measured


def rom_asymmetry_percent(left: float, right: float) -> float:
    """Side-to-side difference as a percentage of the larger side (100 minus the
    limb symmetry index of the weaker side against the stronger one)."""
    larger = max(abs(left), abs(right))
    if larger == 0:
        return 0.0
    return _percent(abs(left - right), larger)


def _rom_symmetry_criterion(rom: object, t: ReturnToRunThresholds) -> Criterion:
    pairs: list[dict[str, Any]] = []
    statuses: list[CriterionStatus] = []
    for (motion, mode), sides in _rom_by_motion(rom).items():
        if len(sides) < len(SIDES):
            continue
        asymmetry = rom_asymmetry_percent(sides["left"], sides["right"])
        statuses.append(_at_most(asymmetry, t.max_rom_asymmetry_percent))
        pairs.append(
            {
                "motion": motion,
                "mode": mode,
                "left": sides["left"],
                "right": sides["right"],
                "asymmetry_percent": asymmetry,
            }
        )
    return Criterion(
        code="rtr.rom_symmetry",
        label=(
            f"Hip range of motion within {t.max_rom_asymmetry_percent:g} % side to side "
            "for every motion measured on both sides"
        ),
        status=_combine(statuses),
        evidence={"pairs": pairs, "maximum_percent": t.max_rom_asymmetry_percent},
    )


# --------------------------------------------------------------------------- #
# Graded walk-run plan (Trials 2023, table 1)
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Phase:
    """One phase of the walk-run plan; walk and run minutes are None when continuous."""

    number: int
    walk_minutes: int | None
    run_minutes: int | None
    distance_km: float
    rpe: int

    @property
    def continuous(self) -> bool:
        return self.run_minutes is None


PHASES: Final[tuple[Phase, ...]] = (
    Phase(1, walk_minutes=2, run_minutes=3, distance_km=1.6, rpe=3),
    Phase(2, walk_minutes=2, run_minutes=3, distance_km=2.4, rpe=3),
    Phase(3, walk_minutes=2, run_minutes=4, distance_km=2.4, rpe=4),
    Phase(4, walk_minutes=2, run_minutes=4, distance_km=3.2, rpe=4),
    Phase(5, walk_minutes=1, run_minutes=4, distance_km=3.2, rpe=5),
    Phase(6, walk_minutes=None, run_minutes=None, distance_km=3.2, rpe=5),
)
FIRST_PHASE: Final = PHASES[0].number
LAST_PHASE: Final = PHASES[-1].number


def get_phase(number: int) -> Phase:
    """The phase with this number; ValueError outside 1..6."""
    for phase in PHASES:
        if phase.number == number:
            return phase
    raise ValueError(f"phase must be between {FIRST_PHASE} and {LAST_PHASE}, got {number}")


@dataclass(frozen=True, kw_only=True)
class RunLog:
    """One logged run; pain values are NRS 0-10, ``pain_next_day`` is added next morning."""

    date: dt.date
    phase: int | None = None
    walk_minutes: float | None = None
    run_minutes: float | None = None
    distance_km: float | None = None
    duration_minutes: float | None = None
    surface: str | None = None
    pain_during: int
    pain_next_day: int | None = None
    pain_before: int | None = None

    def __post_init__(self) -> None:
        if self.phase is not None:
            get_phase(self.phase)
        for name in ("pain_during", "pain_next_day", "pain_before"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 10:
                raise ValueError(f"{name} must be between 0 and 10, got {value}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RunLog:
        """Build from a dict (e.g. a serialised run row); keys that are not fields are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


@dataclass(frozen=True)
class PlanSettings:
    """Tunable rules of the walk-run plan and of the training-load warnings."""

    sessions_to_progress: int = 2  # Trials 2023: each phase at least twice
    rest_days_between_runs: int = 1  # Trials 2023: a rest day between runs
    max_pain_during_to_progress: int = 3  # Trials 2023: pain during <= 3/10
    # Our choice (DOMAIN.md leaves it open): pain this high steps back at once, and so do
    # two hold-worthy runs in a row at one phase.
    step_back_pain_during: int = 5
    holds_in_a_row_to_step_back: int = 2
    # Run logs from the patient app carry no pain-before value; assume pain-free before.
    assumed_pain_before: int = 0
    weekly_increase_percent: float = 10.0  # article's 10 % rule; Buist 2008, Nielsen 2014
    spike_percent: float = 10.0  # Garmin-RUNSAFE 2025
    spike_lookback_days: int = 30  # Garmin-RUNSAFE 2025
    warning_window_days: int = 7  # per-run warnings cover the runs of this many last days


DEFAULT_PLAN_SETTINGS: Final = PlanSettings()


@dataclass(frozen=True)
class PlanStatus:
    current_phase: int
    sessions_in_phase: int
    may_progress: bool
    reasons: tuple[Notice, ...]
    next_phase: int
    may_run_today: bool
    next_run_earliest: dt.date | None
    warnings: tuple[Notice, ...]


class RunOutcome(Enum):
    """What one run means for progression."""

    GOOD = "good"  # pain during within limit and settled by next morning
    PENDING = "pending"  # pain during within limit, next-morning pain not yet known
    HOLD = "hold"  # pain during above limit, or higher next morning than before
    STEP_BACK = "step_back"  # pain during at or above the step-back level


def run_outcome(run: RunLog, settings: PlanSettings = DEFAULT_PLAN_SETTINGS) -> RunOutcome:
    if run.pain_during >= settings.step_back_pain_during:
        return RunOutcome.STEP_BACK
    if run.pain_during > settings.max_pain_during_to_progress or _next_day_pain_rose(run, settings):
        return RunOutcome.HOLD
    if run.pain_next_day is None:
        return RunOutcome.PENDING
    return RunOutcome.GOOD


def _pain_before(run: RunLog, settings: PlanSettings) -> int:
    return settings.assumed_pain_before if run.pain_before is None else run.pain_before


def _next_day_pain_rose(run: RunLog, settings: PlanSettings) -> bool:
    return run.pain_next_day is not None and run.pain_next_day > _pain_before(run, settings)


@dataclass
class _PlanState:
    phase: int = FIRST_PHASE
    qualifying_sessions: int = 0
    holds_in_a_row: int = 0
    last_outcome: RunOutcome | None = None

    def may_progress(self, settings: PlanSettings) -> bool:
        return (
            self.phase < LAST_PHASE
            and self.qualifying_sessions >= settings.sessions_to_progress
            and self.last_outcome is RunOutcome.GOOD
        )

    def prescribed_phase(self, settings: PlanSettings) -> int:
        return self.phase + 1 if self.may_progress(settings) else self.phase

    def enter(self, phase: int) -> None:
        self.phase, self.qualifying_sessions, self.holds_in_a_row = phase, 0, 0

    def record(self, outcome: RunOutcome, settings: PlanSettings) -> bool:
        """Apply one run's outcome; True when it sends the plan back a phase."""
        self.last_outcome = outcome
        if outcome is RunOutcome.GOOD:
            self.qualifying_sessions += 1
            self.holds_in_a_row = 0
        elif outcome is RunOutcome.HOLD:
            self.holds_in_a_row += 1
        # A pending run neither counts nor breaks a run of holds: it is not yet judged.
        if outcome is RunOutcome.STEP_BACK or (
            self.holds_in_a_row >= settings.holds_in_a_row_to_step_back
        ):
            self.enter(max(FIRST_PHASE, self.phase - 1))
            return True
        return False


@dataclass(frozen=True)
class _ReplayedRun:
    run: RunLog
    prescribed_phase: int
    phase: int
    outcome: RunOutcome
    stepped_back_to: int | None


def _replay(
    runs: Sequence[RunLog], settings: PlanSettings
) -> tuple[_PlanState, list[_ReplayedRun]]:
    """Walk through the runs in date order, moving through the phases as the rules say."""
    state = _PlanState()
    replayed = []
    for run in runs:
        prescribed = state.prescribed_phase(settings)
        # A run logged without a phase is taken to follow the plan.
        phase = run.phase if run.phase is not None else prescribed
        if phase != state.phase:
            state.enter(phase)
        outcome = run_outcome(run, settings)
        stepped_back = state.record(outcome, settings)
        replayed.append(
            _ReplayedRun(run, prescribed, phase, outcome, state.phase if stepped_back else None)
        )
    return state, replayed


def plan_status(
    runs: Sequence[RunLog | Mapping[str, Any]],
    today: dt.date,
    settings: PlanSettings = DEFAULT_PLAN_SETTINGS,
) -> PlanStatus:
    """Where the patient stands in the walk-run plan, and what the next run may be.

    Runs dated after ``today`` are ignored. A run without a rest day before it still
    counts toward its phase (pain decides), but is warned about.
    """
    logs = sorted(
        (run if isinstance(run, RunLog) else RunLog.from_mapping(run) for run in runs),
        key=lambda run: run.date,
    )
    logs = [run for run in logs if run.date <= today]
    state, replayed = _replay(logs, settings)
    next_run_earliest = _next_run_earliest(logs, settings)
    may_run_today = next_run_earliest is None or today >= next_run_earliest
    window_start = today - dt.timedelta(days=settings.warning_window_days - 1)
    recent = [item for item in replayed if item.run.date >= window_start]
    warnings = [
        *_pain_warnings(recent, settings),
        *_plan_order_warnings(recent),
        *_rest_day_warnings(logs, window_start, settings),
        *_rest_today_warning(logs, today, next_run_earliest, may_run_today),
        *training_load_warnings(logs, today, settings),
    ]
    return PlanStatus(
        current_phase=state.phase,
        sessions_in_phase=state.qualifying_sessions,
        may_progress=state.may_progress(settings),
        reasons=tuple(_hold_reasons(state, settings)),
        next_phase=state.prescribed_phase(settings),
        may_run_today=may_run_today,
        next_run_earliest=next_run_earliest,
        warnings=tuple(warnings),
    )


def _next_run_earliest(logs: Sequence[RunLog], settings: PlanSettings) -> dt.date | None:
    if not logs:
        return None
    return logs[-1].date + dt.timedelta(days=settings.rest_days_between_runs + 1)


def _hold_reasons(state: _PlanState, settings: PlanSettings) -> list[Notice]:
    """Why the next run may not move up a phase (empty when it may)."""
    if state.may_progress(settings):
        return []
    if state.phase == LAST_PHASE:
        done = state.qualifying_sessions >= settings.sessions_to_progress
        return [
            Notice(
                "plan.complete" if done else "plan.final_phase",
                "All phases are done: continuous running is established."
                if done
                else "This is the last phase: build continuous running here.",
            )
        ]
    reasons = []
    missing = settings.sessions_to_progress - state.qualifying_sessions
    if missing > 0:
        reasons.append(
            Notice(
                "phase.sessions_needed",
                f"{missing} more session(s) at phase {state.phase} with pain at most "
                f"{settings.max_pain_during_to_progress}/10 and settled by the next morning "
                "are needed before moving on.",
            )
        )
    if state.last_outcome is RunOutcome.PENDING:
        reasons.append(
            Notice(
                "run.next_day_pain_missing",
                "Record how the hip feels the morning after the last run before moving on.",
            )
        )
    elif state.last_outcome in (RunOutcome.HOLD, RunOutcome.STEP_BACK):
        reasons.append(
            Notice(
                "run.pain_hold",
                f"The last run was painful, so the next run stays at phase {state.phase}.",
            )
        )
    return reasons


def _pain_warnings(recent: Sequence[_ReplayedRun], settings: PlanSettings) -> list[Notice]:
    warnings = []
    for item in recent:
        run = item.run
        if run.pain_during > settings.max_pain_during_to_progress:
            warnings.append(
                Notice(
                    "pain.during_above_limit",
                    f"Pain during the run on {run.date} was {run.pain_during}/10, above the "
                    f"{settings.max_pain_during_to_progress}/10 limit.",
                )
            )
        if _next_day_pain_rose(run, settings):
            warnings.append(
                Notice(
                    "pain.next_day_higher",
                    f"Pain the morning after the run on {run.date} was {run.pain_next_day}/10, "
                    f"higher than before the run ({_pain_before(run, settings)}/10).",
                )
            )
        if item.stepped_back_to is not None:
            warnings.append(
                Notice(
                    "plan.stepped_back",
                    f"After the run on {run.date} the plan went back to phase "
                    f"{item.stepped_back_to}.",
                )
            )
    return warnings


def _plan_order_warnings(recent: Sequence[_ReplayedRun]) -> list[Notice]:
    return [
        Notice(
            "plan.ahead_of_plan",
            f"The run on {item.run.date} was logged at phase {item.phase}, but the plan "
            f"allowed phase {item.prescribed_phase}.",
        )
        for item in recent
        if item.phase > item.prescribed_phase
    ]


def _rest_day_warnings(
    logs: Sequence[RunLog], window_start: dt.date, settings: PlanSettings
) -> list[Notice]:
    minimum_gap = settings.rest_days_between_runs + 1
    return [
        Notice(
            "rest_day.consecutive_runs",
            f"The runs on {earlier.date} and {later.date} had no rest day between them.",
        )
        for earlier, later in zip(logs, logs[1:], strict=False)
        if later.date >= window_start and (later.date - earlier.date).days < minimum_gap
    ]


def _rest_today_warning(
    logs: Sequence[RunLog],
    today: dt.date,
    next_run_earliest: dt.date | None,
    may_run_today: bool,
) -> list[Notice]:
    if may_run_today or next_run_earliest is None:
        return []
    return [
        Notice(
            "rest_day.rest_today",
            f"The last run was on {logs[-1].date}: today ({today}) is a rest day; "
            f"the next run can be on {next_run_earliest}.",
        )
    ]


# --------------------------------------------------------------------------- #
# Training load (DOMAIN.md section 5)
# --------------------------------------------------------------------------- #

SHOE_REPLACEMENT_KM: Final = 480.0


def training_load_warnings(
    runs: Sequence[RunLog], today: dt.date, settings: PlanSettings = DEFAULT_PLAN_SETTINGS
) -> list[Notice]:
    """Weekly-increase and single-run-spike warnings for the runs up to ``today``."""
    logs = sorted((run for run in runs if run.date <= today), key=lambda run: run.date)
    return [
        *_weekly_increase_warning(logs, today, settings),
        *_spike_warnings(logs, today, settings),
    ]


def _distance_between(runs: Iterable[RunLog], first: dt.date, last: dt.date) -> float:
    # Rounded to metres so sums like 3.2 + 3.2 + 2.4 compare as the distances they are.
    return round(sum(run.distance_km or 0.0 for run in runs if first <= run.date <= last), 3)


def weekly_increase_percent(runs: Iterable[RunLog], today: dt.date) -> float | None:
    """Distance of the last 7 days (today included) against the 7 days before, in percent
    of the earlier week; None when the earlier week has no distance to compare with."""
    runs = list(runs)
    day = dt.timedelta(days=1)
    this_week = _distance_between(runs, today - 6 * day, today)
    last_week = _distance_between(runs, today - 13 * day, today - 7 * day)
    if last_week == 0:
        return None
    return _percent(this_week - last_week, last_week)


def _weekly_increase_warning(
    logs: Sequence[RunLog], today: dt.date, settings: PlanSettings
) -> list[Notice]:
    increase = weekly_increase_percent(logs, today)
    if increase is None or increase <= settings.weekly_increase_percent:
        return []
    return [
        Notice(
            "load.weekly_increase",
            f"Distance over the last 7 days is {increase:g} % higher than the 7 days before "
            f"(the guide is at most {settings.weekly_increase_percent:g} %).",
        )
    ]


def single_run_spike_percent(
    run: RunLog, earlier_runs: Iterable[RunLog], lookback_days: int = 30
) -> float | None:
    """How much longer ``run`` is than the longest run of the ``lookback_days`` before its
    date, in percent; None when either distance is unknown (Garmin-RUNSAFE 2025)."""
    first = run.date - dt.timedelta(days=lookback_days)
    previous = [
        r.distance_km
        for r in earlier_runs
        if first <= r.date < run.date and r.distance_km is not None and r.distance_km > 0
    ]
    if run.distance_km is None or not previous:
        return None
    longest = max(previous)
    return _percent(run.distance_km - longest, longest)


def _spike_warnings(logs: Sequence[RunLog], today: dt.date, settings: PlanSettings) -> list[Notice]:
    window_start = today - dt.timedelta(days=settings.warning_window_days - 1)
    warnings = []
    for run in logs:
        if run.date < window_start:
            continue
        spike = single_run_spike_percent(run, logs, settings.spike_lookback_days)
        if spike is not None and spike > settings.spike_percent:
            warnings.append(
                Notice(
                    "load.single_run_spike",
                    f"The run on {run.date} ({run.distance_km:g} km) was {spike:g} % longer "
                    f"than the longest run of the previous {settings.spike_lookback_days} days "
                    f"(keep single runs within {settings.spike_percent:g} %).",
                )
            )
    return warnings


def shoe_replacement_due(shoe_km: float, threshold_km: float = SHOE_REPLACEMENT_KM) -> bool:
    """True once the shoes have covered ``threshold_km`` (article: 300-500 miles, 480-800 km)."""
    return shoe_km >= threshold_km
