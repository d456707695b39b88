"""Unit tests for app.scheduling.lifecycle: allowed transitions, active statuses and FHIR names."""

import itertools

import pytest

from app.scheduling.errors import InvalidTransition
from app.scheduling.lifecycle import (
    ACTIVE,
    ALLOWED,
    FHIR_STATUS,
    HOLDING,
    STATUSES,
    TERMINAL,
    can_transition,
    check_transition,
    releases_claims,
)

ALLOWED_PAIRS = {
    ("scheduled", "checked_in"),
    ("scheduled", "cancelled"),
    ("scheduled", "no_show"),
    ("checked_in", "in_progress"),
    ("checked_in", "cancelled"),
    ("checked_in", "no_show"),
    ("in_progress", "completed"),
    ("held", "scheduled"),
    ("held", "cancelled"),
}


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED_PAIRS))
def test_allowed_transitions_pass(old, new):
    assert can_transition(old, new)
    check_transition(old, new)


@pytest.mark.parametrize(
    ("old", "new"), [p for p in itertools.product(STATUSES, STATUSES) if p not in ALLOWED_PAIRS]
)
def test_every_other_transition_is_refused_naming_both(old, new):
    assert not can_transition(old, new)
    with pytest.raises(InvalidTransition) as caught:
        check_transition(old, new)
    assert old in caught.value.message and new in caught.value.message
    assert caught.value.http_status == 409


def test_unknown_statuses_are_refused():
    with pytest.raises(InvalidTransition):
        check_transition("booked", "cancelled")
    with pytest.raises(InvalidTransition):
        check_transition("scheduled", "deleted")


def test_allowed_table_matches_the_contract():
    assert {(o, n) for o, targets in ALLOWED.items() for n in targets} == ALLOWED_PAIRS
    assert set(ALLOWED) == set(STATUSES)


def test_active_held_and_terminal_partition_the_statuses():
    assert ACTIVE == {"scheduled", "checked_in", "in_progress"}
    assert ACTIVE | TERMINAL | {"held"} == set(STATUSES)
    assert not ACTIVE & TERMINAL
    assert "held" not in ACTIVE and "held" not in TERMINAL
    assert all(not ALLOWED[s] for s in TERMINAL)


def test_a_hold_holds_time_but_is_nobody_s_appointment():
    assert HOLDING == ACTIVE | {"held"}
    assert not releases_claims("held", "scheduled")  # the hold's cells become the patient's
    assert releases_claims("held", "cancelled")


def test_fhir_names():
    assert FHIR_STATUS == {
        "scheduled": "booked",
        "checked_in": "arrived",
        "in_progress": "checked-in",
        "completed": "fulfilled",
        "cancelled": "cancelled",
        "no_show": "noshow",
        "held": "proposed",
    }


def test_releases_claims_when_leaving_the_active_statuses():
    assert releases_claims("scheduled", "cancelled")
    assert releases_claims("checked_in", "no_show")
    assert releases_claims("in_progress", "completed")
    assert not releases_claims("scheduled", "checked_in")
    assert not releases_claims("checked_in", "in_progress")
