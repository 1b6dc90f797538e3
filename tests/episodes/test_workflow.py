"""The episode workflow: gates, overrides, side states and the transition history.

Through the API where the state can be reached (goals and programs come later, so
``in_treatment`` cannot be yet), and through the pure rules for every state.
"""

from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import select

from clinic.core.changes import Change
from clinic.core.tenancy import all_clinics
from clinic.episodes import rules
from clinic.episodes.rules import (
    ASSESSED,
    CANCELLED,
    DISCHARGED,
    IN_TREATMENT,
    INTAKE,
    ON_HOLD,
    RETURN_TO_RUN,
    STATES,
    EpisodeFacts,
    InvalidTransition,
    allowed_targets,
    check_transition,
)
from clinic.extensions import db

NEW_EPISODE = {"title": "Right lateral hip pain", "side": "right"}
PERFORMED_AT = "2026-11-20T09:30:00Z"

ALL_MET = EpisodeFacts(
    finalized_assessments=2,
    finalized_discharge_assessment=True,
    active_short_term_goals=1,
    active_long_term_goals=1,
    unresolved_goals=0,
    published_program=True,
    return_to_run_criteria_met=True,
)
NOTHING = EpisodeFacts()

IN_TREATMENT_GATE = ["goals.short_term_missing", "goals.long_term_missing", "program.unpublished"]


# --- Helpers ----------------------------------------------------------------------------------


def open_episode(client, actor, patient_id) -> dict:
    response = client.post(
        f"/api/v1/patients/{patient_id}/episodes", json=NEW_EPISODE, headers=actor.headers
    )
    assert response.status_code == 201, response.json
    return response.json


def move(client, actor, episode_id, to, reason=None, override=None, headers=None):
    body: dict = {"to": to}
    if reason is not None:
        body["reason"] = reason
    if override is not None:
        body["override"] = override
    return client.post(
        f"/api/v1/episodes/{episode_id}/transitions",
        json=body,
        headers={**actor.headers, **(headers or {})},
    )


def get_episode(client, actor, episode_id) -> dict:
    response = client.get(f"/api/v1/episodes/{episode_id}", headers=actor.headers)
    assert response.status_code == 200
    return response.json


def transitions(client, actor, episode_id) -> list[dict]:
    response = client.get(f"/api/v1/episodes/{episode_id}/transitions", headers=actor.headers)
    assert response.status_code == 200
    return response.json["items"]


def unmet_codes(response) -> list[str]:
    return [u["code"] for u in response.json["unmet"]]


def add_assessment(client, actor, episode_id, kind="initial", finalize=True) -> dict:
    created = client.post(
        f"/api/v1/episodes/{episode_id}/assessments",
        json={"kind": kind, "performed_at": PERFORMED_AT, "pain": {"rest": 1}},
        headers=actor.headers,
    )
    assert created.status_code == 201, created.json
    if not finalize:
        return created.json
    done = client.post(f"/api/v1/assessments/{created.json['id']}/finalize", headers=actor.headers)
    assert done.status_code == 200, done.json
    return done.json


def assessed_episode(client, actor, patient_id) -> dict:
    episode = open_episode(client, actor, patient_id)
    add_assessment(client, actor, episode["id"])
    response = move(client, actor, episode["id"], ASSESSED)
    assert response.status_code == 200, response.json
    return response.json


def change_count(app, episode_id: str) -> int:
    with app.app_context(), all_clinics(db.session):
        return len(
            db.session.scalars(
                select(Change.seq).where(Change.resource_id == uuid.UUID(episode_id))
            ).all()
        )


def assert_refused_and_unchanged(client, actor, app, episode, response, status=409):
    """A refused transition leaves status, version, history and feed as they were."""
    assert response.status_code == status, response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    after = get_episode(client, actor, episode["id"])
    for field in ("status", "version", "held_from", "closed_at", "allowed_transitions"):
        assert after[field] == episode[field], field
    assert len(transitions(client, actor, episode["id"])) == episode["_transitions"]
    assert change_count(app, episode["id"]) == episode["_changes"]


def snapshot(client, actor, app, episode_id) -> dict:
    episode = get_episode(client, actor, episode_id)
    episode["_transitions"] = len(transitions(client, actor, episode_id))
    episode["_changes"] = change_count(app, episode_id)
    return episode


# --- Gates through the API --------------------------------------------------------------------


def test_intake_to_assessed_needs_a_finalised_assessment(client, world, app):
    episode = open_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])

    refused = move(client, world.clinician, episode["id"], ASSESSED)
    assert_refused_and_unchanged(client, world.clinician, app, before, refused)
    assert refused.json["type"] == "/problems/transition-gate"
    assert refused.json["unmet"] == [
        {"code": "assessment.finalized_missing", "message": "Finalise at least one assessment."}
    ]

    # A draft is not enough.
    draft = add_assessment(client, world.clinician, episode["id"], finalize=False)
    still = move(client, world.clinician, episode["id"], ASSESSED)
    assert unmet_codes(still) == ["assessment.finalized_missing"]
    assert_refused_and_unchanged(client, world.clinician, app, before, still)

    done = client.post(
        f"/api/v1/assessments/{draft['id']}/finalize", headers=world.clinician.headers
    )
    assert done.status_code == 200
    moved = move(client, world.clinician, episode["id"], ASSESSED)
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == ASSESSED
    assert moved.json["version"] == 2
    assert moved.headers["ETag"] == '"2"'
    assert moved.json["allowed_transitions"] == [IN_TREATMENT, DISCHARGED, ON_HOLD, CANCELLED]
    assert moved.json["closed_at"] is None


def test_assessed_to_in_treatment_lists_exactly_the_goal_and_program_gates(client, world, app):
    episode = assessed_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    refused = move(client, world.clinician, episode["id"], IN_TREATMENT, reason="Plan agreed")
    assert_refused_and_unchanged(client, world.clinician, app, before, refused)
    assert refused.json["type"] == "/problems/transition-gate"
    assert unmet_codes(refused) == IN_TREATMENT_GATE
    assert all(u["message"] for u in refused.json["unmet"])


def test_discharge_needs_a_finalised_discharge_assessment(client, world, app):
    episode = assessed_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    refused = move(client, world.clinician, episode["id"], DISCHARGED)
    assert_refused_and_unchanged(client, world.clinician, app, before, refused)
    assert unmet_codes(refused) == ["assessment.discharge_missing"]

    add_assessment(client, world.clinician, episode["id"], kind="discharge", finalize=False)
    assert unmet_codes(move(client, world.clinician, episode["id"], DISCHARGED)) == [
        "assessment.discharge_missing"
    ]
    add_assessment(client, world.clinician, episode["id"], kind="discharge")
    discharged = move(client, world.clinician, episode["id"], DISCHARGED, reason="Goals met")
    assert discharged.status_code == 200, discharged.json
    assert discharged.json["status"] == DISCHARGED
    assert discharged.json["closed_at"] is not None
    assert discharged.json["allowed_transitions"] == []


# --- Overrides through the API ------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "Clinician judgement"])
def test_an_override_into_assessed_is_refused(client, world, app, reason):
    episode = open_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    refused = move(client, world.clinician, episode["id"], ASSESSED, reason=reason, override=True)
    assert_refused_and_unchanged(client, world.clinician, app, before, refused)
    assert unmet_codes(refused) == ["override.not_allowed", "assessment.finalized_missing"]


def test_an_override_into_in_treatment_is_refused(client, world, app):
    episode = assessed_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    refused = move(
        client, world.clinician, episode["id"], IN_TREATMENT, reason="Trust me", override=True
    )
    assert_refused_and_unchanged(client, world.clinician, app, before, refused)
    assert unmet_codes(refused) == ["override.not_allowed", *IN_TREATMENT_GATE]


def test_an_override_into_discharged_is_refused(client, world, app):
    episode = assessed_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    refused = move(
        client, world.clinician, episode["id"], DISCHARGED, reason="Moved away", override=True
    )
    assert_refused_and_unchanged(client, world.clinician, app, before, refused)
    assert unmet_codes(refused) == ["override.not_allowed", "assessment.discharge_missing"]


def test_override_without_a_gate_is_not_recorded_as_an_override(client, world):
    episode = assessed_episode(client, world.clinician, world.patient_id)
    moved = move(client, world.clinician, episode["id"], ON_HOLD, reason="Injury", override=True)
    assert moved.status_code == 200
    assert transitions(client, world.clinician, episode["id"])[-1]["override"] is False


# --- Side states ------------------------------------------------------------------------------


@pytest.mark.parametrize("to", [ON_HOLD, CANCELLED])
def test_side_states_need_a_reason(client, world, app, to):
    episode = open_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    refused = move(client, world.clinician, episode["id"], to)
    assert_refused_and_unchanged(client, world.clinician, app, before, refused)
    assert refused.json["unmet"] == [
        {"code": "reason.required", "message": f"Moving to {to} needs a reason."}
    ]
    empty = move(client, world.clinician, episode["id"], to, reason="")
    assert_refused_and_unchanged(client, world.clinician, app, before, empty, status=422)
    assert list(empty.json["errors"]) == ["reason"]


def test_on_hold_resumes_only_to_the_state_it_left(client, world, app):
    episode = assessed_episode(client, world.clinician, world.patient_id)
    held = move(client, world.clinician, episode["id"], ON_HOLD, reason="Flu, two weeks off")
    assert held.status_code == 200
    assert held.json["status"] == ON_HOLD
    assert held.json["held_from"] == ASSESSED
    assert held.json["allowed_transitions"] == [ASSESSED, CANCELLED]
    before = snapshot(client, world.clinician, app, episode["id"])

    for elsewhere in (INTAKE, IN_TREATMENT, RETURN_TO_RUN, DISCHARGED, ON_HOLD):
        refused = move(client, world.clinician, episode["id"], elsewhere, reason="Try")
        assert_refused_and_unchanged(client, world.clinician, app, before, refused)
        assert refused.json["type"] == "/problems/transition-not-allowed"
        assert unmet_codes(refused) == ["transition.invalid"]
        assert refused.json["allowed_transitions"] == [ASSESSED, CANCELLED]

    resumed = move(client, world.clinician, episode["id"], ASSESSED)
    assert resumed.status_code == 200, resumed.json
    assert resumed.json["status"] == ASSESSED
    assert resumed.json["held_from"] is None
    assert resumed.json["allowed_transitions"] == [IN_TREATMENT, DISCHARGED, ON_HOLD, CANCELLED]


def test_on_hold_from_intake_resumes_to_intake_without_a_gate(client, world):
    episode = open_episode(client, world.clinician, world.patient_id)
    held = move(client, world.clinician, episode["id"], ON_HOLD, reason="Waiting for imaging")
    assert held.json["held_from"] == INTAKE
    assert held.json["allowed_transitions"] == [INTAKE, CANCELLED]
    assert move(client, world.clinician, episode["id"], ASSESSED).status_code == 409
    resumed = move(client, world.clinician, episode["id"], INTAKE)
    assert resumed.status_code == 200
    assert (resumed.json["status"], resumed.json["held_from"]) == (INTAKE, None)


@pytest.mark.parametrize("via_hold", [False, True])
def test_cancelled_is_final(client, world, app, via_hold):
    episode = open_episode(client, world.clinician, world.patient_id)
    if via_hold:
        assert (
            move(client, world.clinician, episode["id"], ON_HOLD, reason="Away").status_code == 200
        )
    cancelled = move(client, world.clinician, episode["id"], CANCELLED, reason="Patient moved")
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == CANCELLED
    assert cancelled.json["held_from"] is None
    assert cancelled.json["closed_at"] is not None
    assert cancelled.json["allowed_transitions"] == []
    before = snapshot(client, world.clinician, app, episode["id"])
    for to in STATES:
        refused = move(client, world.clinician, episode["id"], to, reason="Reopen", override=True)
        assert_refused_and_unchanged(client, world.clinician, app, before, refused)
        assert unmet_codes(refused) == ["transition.invalid"]
        assert refused.json["allowed_transitions"] == []


def test_discharged_is_final(client, world, app):
    episode = assessed_episode(client, world.clinician, world.patient_id)
    add_assessment(client, world.clinician, episode["id"], kind="discharge")
    assert move(client, world.clinician, episode["id"], DISCHARGED).status_code == 200
    before = snapshot(client, world.clinician, app, episode["id"])
    for to in STATES:
        refused = move(client, world.clinician, episode["id"], to, reason="Back again")
        assert_refused_and_unchanged(client, world.clinician, app, before, refused)
        assert unmet_codes(refused) == ["transition.invalid"]
        assert refused.json["allowed_transitions"] == []


@pytest.mark.parametrize("to", [INTAKE, IN_TREATMENT, RETURN_TO_RUN, DISCHARGED])
def test_a_move_that_does_not_exist_lists_the_allowed_transitions(client, world, app, to):
    episode = open_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    refused = move(client, world.clinician, episode["id"], to, reason="Skip ahead", override=True)
    assert_refused_and_unchanged(client, world.clinician, app, before, refused)
    assert refused.json["type"] == "/problems/transition-not-allowed"
    assert refused.json["unmet"] == [
        {"code": "transition.invalid", "message": f"An episode in intake cannot move to {to}."}
    ]
    assert refused.json["allowed_transitions"] == [ASSESSED, ON_HOLD, CANCELLED]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "limbo"}, "to"),
        ({}, "to"),
        ({"to": ON_HOLD, "reason": "x" * 2001}, "reason"),
        ({"to": ON_HOLD, "reason": "ok", "override": "sometimes"}, "override"),
        ({"to": ON_HOLD, "reason": "ok", "by": "me"}, "by"),
    ],
)
def test_invalid_transition_request_is_422_and_changes_nothing(client, world, app, body, field):
    episode = open_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    response = client.post(
        f"/api/v1/episodes/{episode['id']}/transitions", json=body, headers=world.clinician.headers
    )
    assert_refused_and_unchanged(client, world.clinician, app, before, response, status=422)
    assert field in response.json["errors"], response.json


def test_transition_if_match_is_optional_but_checked_when_sent(client, world, app):
    episode = open_episode(client, world.clinician, world.patient_id)
    before = snapshot(client, world.clinician, app, episode["id"])
    stale = move(
        client, world.clinician, episode["id"], ON_HOLD, reason="Away", headers={"If-Match": '"9"'}
    )
    assert_refused_and_unchanged(client, world.clinician, app, before, stale, status=412)
    fresh = move(
        client, world.clinician, episode["id"], ON_HOLD, reason="Away", headers={"If-Match": '"1"'}
    )
    assert fresh.status_code == 200
    assert fresh.json["version"] == 2


# --- The transition history -------------------------------------------------------------------


def test_every_transition_is_recorded_with_actor_reason_and_override(client, world):
    episode = open_episode(client, world.clinician, world.patient_id)
    assert transitions(client, world.clinician, episode["id"]) == []
    add_assessment(client, world.clinician, episode["id"])
    steps = [
        (world.clinician, ASSESSED, None),
        (world.admin, ON_HOLD, "Patient travelling for three weeks"),
        (world.clinician, ASSESSED, "Back from travel"),
        (world.admin, CANCELLED, "Patient chose another clinic"),
    ]
    for actor, to, reason in steps:
        assert move(client, actor, episode["id"], to, reason=reason).status_code == 200
    # Refused moves leave no trace in the history.
    move(client, world.clinician, episode["id"], INTAKE, reason="Nope")

    history = transitions(client, world.clinician, episode["id"])
    assert [
        (t["from_status"], t["to_status"], t["reason"], t["override"], t["actor_id"])
        for t in history
    ] == [
        (INTAKE, ASSESSED, None, False, str(world.clinician.id)),
        (ASSESSED, ON_HOLD, steps[1][2], False, str(world.admin.id)),
        (ON_HOLD, ASSESSED, steps[2][2], False, str(world.clinician.id)),
        (ASSESSED, CANCELLED, steps[3][2], False, str(world.admin.id)),
    ]
    times = [t["occurred_at"] for t in history]
    assert times == sorted(times)
    assert len({t["id"] for t in history}) == 4
    assert get_episode(client, world.clinician, episode["id"])["version"] == 5


def test_a_new_episode_starts_with_an_empty_history(client, world):
    episode = open_episode(client, world.clinician, world.patient_id)
    response = client.get(
        f"/api/v1/episodes/{episode['id']}/transitions", headers=world.clinician.headers
    )
    assert response.status_code == 200
    assert response.json == {"items": []}


# --- Pure rules: every state ------------------------------------------------------------------

EXPECTED_TARGETS = {
    INTAKE: (ASSESSED, ON_HOLD, CANCELLED),
    ASSESSED: (IN_TREATMENT, DISCHARGED, ON_HOLD, CANCELLED),
    IN_TREATMENT: (RETURN_TO_RUN, DISCHARGED, ON_HOLD, CANCELLED),
    RETURN_TO_RUN: (IN_TREATMENT, DISCHARGED, ON_HOLD, CANCELLED),
    DISCHARGED: (),
    CANCELLED: (),
}


@pytest.mark.parametrize(("state", "expected"), EXPECTED_TARGETS.items())
def test_allowed_targets_of_each_state(state, expected):
    assert allowed_targets(state, None) == expected


@pytest.mark.parametrize("held_from", rules.OPEN_STATES)
def test_on_hold_may_go_back_to_where_it_came_from_or_be_cancelled(held_from):
    assert allowed_targets(ON_HOLD, held_from) == (held_from, CANCELLED)


def test_on_hold_without_a_recorded_state_can_only_be_cancelled():
    assert allowed_targets(ON_HOLD, None) == (CANCELLED,)


def test_final_states_have_no_way_out_whatever_held_from_says():
    for state, held_from in itertools.product(rules.FINAL_STATES, (None, *rules.OPEN_STATES)):
        assert allowed_targets(state, held_from) == ()


def test_the_state_constants_cover_the_domain():
    assert set(STATES) == {
        "intake",
        "assessed",
        "in_treatment",
        "return_to_run",
        "discharged",
        "on_hold",
        "cancelled",
    }
    assert set(rules.OPEN_STATES) | set(rules.FINAL_STATES) | {ON_HOLD} == set(STATES)


def _every_move():
    for current in STATES:
        held_options = rules.OPEN_STATES if current == ON_HOLD else (None,)
        for held_from in held_options:
            for to in STATES:
                yield current, held_from, to


@pytest.mark.parametrize(("current", "held_from", "to"), list(_every_move()))
def test_check_transition_for_every_pair_of_states(current, held_from, to):
    allowed = to in allowed_targets(current, held_from)
    if not allowed:
        with pytest.raises(InvalidTransition, match=f"in {current} cannot move to {to}"):
            check_transition(
                current, to, held_from=held_from, facts=ALL_MET, reason="why", override=False
            )
        return
    # Every gate met and a reason given: every existing move is allowed, never overridden.
    decision = check_transition(
        current, to, held_from=held_from, facts=ALL_MET, reason="why", override=False
    )
    assert decision.allowed is True
    assert decision.unmet == ()
    assert decision.overridden is False


@pytest.mark.parametrize(
    ("current", "to", "codes"),
    [
        (INTAKE, ASSESSED, ["assessment.finalized_missing"]),
        (ASSESSED, IN_TREATMENT, IN_TREATMENT_GATE),
        (RETURN_TO_RUN, IN_TREATMENT, IN_TREATMENT_GATE),
        (IN_TREATMENT, RETURN_TO_RUN, ["return_to_run.criteria_unmet"]),
        (ASSESSED, DISCHARGED, ["assessment.discharge_missing"]),
        (IN_TREATMENT, DISCHARGED, ["assessment.discharge_missing"]),
        (RETURN_TO_RUN, DISCHARGED, ["assessment.discharge_missing"]),
        (INTAKE, ON_HOLD, []),
        (IN_TREATMENT, CANCELLED, []),
    ],
)
def test_gates_with_nothing_in_place(current, to, codes):
    decision = check_transition(
        current, to, held_from=None, facts=NOTHING, reason="why", override=False
    )
    assert [u.code for u in decision.unmet] == codes
    assert decision.allowed is (not codes)
    assert decision.overridden is False


@pytest.mark.parametrize(
    ("facts", "codes"),
    [
        (
            EpisodeFacts(active_short_term_goals=1),
            ["goals.long_term_missing", "program.unpublished"],
        ),
        (
            EpisodeFacts(active_long_term_goals=1),
            ["goals.short_term_missing", "program.unpublished"],
        ),
        (EpisodeFacts(published_program=True), IN_TREATMENT_GATE[:2]),
        (
            EpisodeFacts(active_short_term_goals=1, active_long_term_goals=1),
            ["program.unpublished"],
        ),
        (
            EpisodeFacts(
                active_short_term_goals=2, active_long_term_goals=3, published_program=True
            ),
            [],
        ),
    ],
)
def test_in_treatment_gate_checks_each_requirement(facts, codes):
    decision = check_transition(
        ASSESSED, IN_TREATMENT, held_from=None, facts=facts, reason=None, override=False
    )
    assert [u.code for u in decision.unmet] == codes


@pytest.mark.parametrize(
    ("facts", "codes"),
    [
        (NOTHING, ["assessment.discharge_missing"]),
        (EpisodeFacts(unresolved_goals=2), ["assessment.discharge_missing", "goals.unresolved"]),
        (
            EpisodeFacts(finalized_discharge_assessment=True, unresolved_goals=1),
            ["goals.unresolved"],
        ),
        (EpisodeFacts(finalized_discharge_assessment=True), []),
    ],
)
@pytest.mark.parametrize("current", [ASSESSED, IN_TREATMENT, RETURN_TO_RUN])
def test_discharge_gate(current, facts, codes):
    decision = check_transition(
        current, DISCHARGED, held_from=None, facts=facts, reason=None, override=False
    )
    assert [u.code for u in decision.unmet] == codes
    assert decision.allowed is (not codes)


def test_discharge_gate_message_counts_the_open_goals():
    decision = check_transition(
        RETURN_TO_RUN,
        DISCHARGED,
        held_from=None,
        facts=EpisodeFacts(finalized_discharge_assessment=True, unresolved_goals=3),
        reason=None,
        override=False,
    )
    assert decision.unmet[0].to_dict()["message"].startswith("3 goal(s) still open")


def test_return_to_run_criteria_met_needs_no_override():
    facts = EpisodeFacts(return_to_run_criteria_met=True)
    decision = check_transition(
        IN_TREATMENT, RETURN_TO_RUN, held_from=None, facts=facts, reason=None, override=False
    )
    assert (decision.allowed, decision.unmet, decision.overridden) == (True, (), False)
    # An override asked for where the gate is met is not recorded as one.
    decision = check_transition(
        IN_TREATMENT, RETURN_TO_RUN, held_from=None, facts=facts, reason="x", override=True
    )
    assert (decision.allowed, decision.overridden) == (True, False)


def test_return_to_run_override_with_a_reason_is_allowed_and_marked():
    decision = check_transition(
        IN_TREATMENT,
        RETURN_TO_RUN,
        held_from=None,
        facts=NOTHING,
        reason="Pain-free 30 min walks; plank 40 s is close enough for a walk-run start",
        override=True,
    )
    assert decision.allowed is True
    assert decision.overridden is True
    assert decision.unmet == ()


@pytest.mark.parametrize("reason", [None, ""])
def test_return_to_run_override_without_a_reason_is_refused(reason):
    decision = check_transition(
        IN_TREATMENT, RETURN_TO_RUN, held_from=None, facts=NOTHING, reason=reason, override=True
    )
    assert decision.allowed is False
    assert decision.overridden is False
    assert [u.code for u in decision.unmet] == [
        "override.reason_required",
        "return_to_run.criteria_unmet",
    ]


@pytest.mark.parametrize(
    ("current", "to", "gate"),
    [
        (INTAKE, ASSESSED, ["assessment.finalized_missing"]),
        (ASSESSED, IN_TREATMENT, IN_TREATMENT_GATE),
        (RETURN_TO_RUN, IN_TREATMENT, IN_TREATMENT_GATE),
        (ASSESSED, DISCHARGED, ["assessment.discharge_missing"]),
        (IN_TREATMENT, DISCHARGED, ["assessment.discharge_missing"]),
        (RETURN_TO_RUN, DISCHARGED, ["assessment.discharge_missing"]),
    ],
)
def test_override_into_any_other_state_is_refused(current, to, gate):
    decision = check_transition(
        current, to, held_from=None, facts=NOTHING, reason="Clinical judgement", override=True
    )
    assert decision.allowed is False
    assert decision.overridden is False
    assert [u.code for u in decision.unmet] == ["override.not_allowed", *gate]


def test_override_cannot_open_a_move_that_does_not_exist():
    with pytest.raises(InvalidTransition):
        check_transition(
            ASSESSED, RETURN_TO_RUN, held_from=None, facts=NOTHING, reason="x", override=True
        )
    with pytest.raises(InvalidTransition):
        check_transition(
            ON_HOLD, RETURN_TO_RUN, held_from=IN_TREATMENT, facts=NOTHING, reason="x", override=True
        )


@pytest.mark.parametrize("held_from", rules.OPEN_STATES)
def test_resuming_from_hold_checks_no_gate(held_from):
    decision = check_transition(
        ON_HOLD, held_from, held_from=held_from, facts=NOTHING, reason=None, override=False
    )
    assert (decision.allowed, decision.unmet, decision.overridden) == (True, (), False)


@pytest.mark.parametrize("current", [*rules.OPEN_STATES, ON_HOLD])
def test_cancelling_needs_a_reason_from_every_open_state(current):
    held_from = ASSESSED if current == ON_HOLD else None
    refused = check_transition(
        current, CANCELLED, held_from=held_from, facts=ALL_MET, reason=None, override=False
    )
    assert [u.code for u in refused.unmet] == ["reason.required"]
    assert refused.allowed is False
    allowed = check_transition(
        current, CANCELLED, held_from=held_from, facts=NOTHING, reason="Stopped", override=False
    )
    assert allowed.allowed is True


@pytest.mark.parametrize("current", rules.OPEN_STATES)
def test_holding_needs_a_reason_from_every_open_state(current):
    refused = check_transition(
        current, ON_HOLD, held_from=None, facts=ALL_MET, reason=None, override=True
    )
    assert [u.code for u in refused.unmet] == ["reason.required"]
    allowed = check_transition(
        current, ON_HOLD, held_from=None, facts=NOTHING, reason="Holiday", override=False
    )
    assert (allowed.allowed, allowed.unmet) == (True, ())
