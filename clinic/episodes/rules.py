"""The episode-of-care workflow as pure rules: states, transitions, gates.

An episode moves intake -> assessed -> in_treatment -> return_to_run ->
discharged, with on_hold and cancelled as side states (DOMAIN.md section 1).
``check_transition`` answers which requirements are unmet for a move; the
service gathers the facts (``EpisodeFacts``) from the capabilities that own
them. No Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

INTAKE = "intake"
ASSESSED = "assessed"
IN_TREATMENT = "in_treatment"
RETURN_TO_RUN = "return_to_run"
DISCHARGED = "discharged"
ON_HOLD = "on_hold"
CANCELLED = "cancelled"

STATES = (INTAKE, ASSESSED, IN_TREATMENT, RETURN_TO_RUN, DISCHARGED, ON_HOLD, CANCELLED)
OPEN_STATES = (INTAKE, ASSESSED, IN_TREATMENT, RETURN_TO_RUN)
FINAL_STATES = (DISCHARGED, CANCELLED)

# The clinical path, plus a step back from return to run when symptoms flare.
PATH_MOVES: dict[str, tuple[str, ...]] = {
    INTAKE: (ASSESSED,),
    ASSESSED: (IN_TREATMENT, DISCHARGED),
    IN_TREATMENT: (RETURN_TO_RUN, DISCHARGED),
    RETURN_TO_RUN: (IN_TREATMENT, DISCHARGED),
}

# Only the return-to-run gate may be overridden, by a clinician, with a reason.
OVERRIDABLE = frozenset({RETURN_TO_RUN})


@dataclass(frozen=True)
class Unmet:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class EpisodeFacts:
    """What the gates look at, gathered by the service from each capability."""

    finalized_assessments: int = 0
    finalized_discharge_assessment: bool = False
    active_short_term_goals: int = 0
    active_long_term_goals: int = 0
    unresolved_goals: int = 0
    published_program: bool = False
    return_to_run_criteria_met: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    unmet: tuple[Unmet, ...] = ()
    overridden: bool = False


class InvalidTransition(ValueError):
    """The move does not exist from this state (as opposed to a gate not met)."""


def _gate(to: str, facts: EpisodeFacts) -> list[Unmet]:
    unmet: list[Unmet] = []
    if to == ASSESSED and facts.finalized_assessments < 1:
        unmet.append(Unmet("assessment.finalized_missing", "Finalise at least one assessment."))
    if to == IN_TREATMENT:
        if facts.active_short_term_goals < 1:
            unmet.append(
                Unmet("goals.short_term_missing", "Set at least one active short-term goal.")
            )
        if facts.active_long_term_goals < 1:
            unmet.append(
                Unmet("goals.long_term_missing", "Set at least one active long-term goal.")
            )
        if not facts.published_program:
            unmet.append(Unmet("program.unpublished", "Publish a home exercise program."))
    if to == RETURN_TO_RUN and not facts.return_to_run_criteria_met:
        unmet.append(
            Unmet(
                "return_to_run.criteria_unmet",
                "The latest finalised assessment does not meet every return-to-run criterion.",
            )
        )
    if to == DISCHARGED:
        if not facts.finalized_discharge_assessment:
            unmet.append(Unmet("assessment.discharge_missing", "Finalise a discharge assessment."))
        if facts.unresolved_goals:
            unmet.append(
                Unmet(
                    "goals.unresolved",
                    f"{facts.unresolved_goals} goal(s) still open: mark each achieved, "
                    "not achieved or cancelled.",
                )
            )
    return unmet


def allowed_targets(current: str, held_from: str | None) -> tuple[str, ...]:
    if current in FINAL_STATES:
        return ()
    if current == ON_HOLD:
        return tuple(s for s in (held_from, CANCELLED) if s)
    return (*PATH_MOVES.get(current, ()), ON_HOLD, CANCELLED)


def check_transition(
    current: str,
    to: str,
    *,
    held_from: str | None,
    facts: EpisodeFacts,
    reason: str | None,
    override: bool,
) -> Decision:
    """May the episode move from ``current`` to ``to``? Raises for moves that do not exist."""
    if to not in allowed_targets(current, held_from):
        raise InvalidTransition(f"An episode in {current} cannot move to {to}.")
    unmet: list[Unmet] = []
    if to in (ON_HOLD, CANCELLED) and not reason:
        unmet.append(Unmet("reason.required", f"Moving to {to} needs a reason."))
    if current == ON_HOLD:
        return Decision(allowed=not unmet, unmet=tuple(unmet))
    gate = _gate(to, facts)
    if gate and override:
        if to not in OVERRIDABLE:
            unmet.append(Unmet("override.not_allowed", f"The gate into {to} cannot be overridden."))
        elif not reason:
            unmet.append(Unmet("override.reason_required", "An override needs a written reason."))
        else:
            return Decision(allowed=not unmet, unmet=tuple(unmet), overridden=True)
    unmet.extend(gate)
    return Decision(allowed=not unmet, unmet=tuple(unmet))
