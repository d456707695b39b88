"""Unit tests for app.scheduling.lifecycle: allowed transitions, active statuses and FHIR names."""

import itertools
from datetime import datetime, timedelta

import pytest

from app.scheduling.errors import CutoffPassed, InvalidTransition
from app.scheduling.lifecycle import (
    ACTIVE,
    ALLOWED,
    FHIR_STATUS,
    HOLDING,
    STATUSES,
    TERMINAL,
    can_transition,
    check_patient_change,
    check_transition,
    may_patient_change,
    online_change_deadline,
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


# --- a patient changing their own appointment (pinned edges: docs/testing.md) ------------------------------------

START = datetime(2026, 6, 1, 9)


def test_the_online_change_deadline_is_the_cut_off_before_the_start():
    assert online_change_deadline(START, 24) == datetime(2026, 5, 31, 9)
    assert online_change_deadline(START, 0) == START


def test_a_change_exactly_at_the_deadline_is_allowed_and_a_moment_later_refused():
    deadline = datetime(2026, 5, 31, 9)
    check_patient_change("scheduled", "appointment", START, 24, deadline)
    assert may_patient_change("scheduled", "appointment", START, 24, deadline) is True
    late = deadline + timedelta(seconds=1)
    with pytest.raises(CutoffPassed) as caught:
        check_patient_change("scheduled", "appointment", START, 24, late)
    assert (caught.value.code, caught.value.field, caught.value.http_status) == ("cutoff_passed", "start", 409)
    assert caught.value.message == ("Online changes close 24 hours before the appointment; "
                                    "please call the hospital.")
    assert may_patient_change("scheduled", "appointment", START, 24, late) is False


def test_withdrawn_time_may_still_be_changed_after_the_cut_off():
    late = datetime(2026, 6, 1, 8)
    check_patient_change("scheduled", "appointment", START, 24, late, time_withdrawn=True)
    assert may_patient_change("scheduled", "appointment", START, 24, late, time_withdrawn=True) is True


@pytest.mark.parametrize(("status", "kind"), [
    ("checked_in", "appointment"), ("cancelled", "appointment"), ("held", "appointment"), ("scheduled", "location"),
])
def test_only_a_scheduled_appointment_can_be_changed_online(status, kind):
    early = datetime(2026, 5, 1)
    with pytest.raises(InvalidTransition) as caught:
        check_patient_change(status, kind, START, 24, early, time_withdrawn=True)
    assert (caught.value.code, caught.value.field) == ("invalid_transition", "status")
    assert caught.value.message == "Only a scheduled appointment can be changed online."
    assert may_patient_change(status, kind, START, 24, early) is False


def test_a_refused_transition_names_its_field_and_code():
    with pytest.raises(InvalidTransition) as caught:
        check_transition("completed", "scheduled")
    assert (caught.value.code, caught.value.field) == ("invalid_transition", "status")
    assert caught.value.message == "An appointment cannot go from 'completed' to 'scheduled'."
