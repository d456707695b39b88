"""Unit tests for app.scheduling.tokens: queue order, token labels, entry statuses and estimated waits."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling import errors as core_errors
from app.scheduling.tokens import (
    ENTRY_ALLOWED,
    ENTRY_STATUSES,
    PRIORITIES,
    PRIORITY_CHOICES,
    QueueItem,
    can_enter,
    check_entry_transition,
    effective_time,
    estimated_waits,
    order_queue,
    token_label,
    typical_minutes,
)

NOW = datetime(2026, 6, 1, 10)


def at(minute):
    """An instant ``minute`` minutes after 09:00."""
    return datetime(2026, 6, 1, 9) + timedelta(minutes=minute)


def appt(id, slot, arrived, priority="normal", offset=0):
    return QueueItem(id, priority, "appointment", at(arrived), at(slot), offset)


def walkin(id, arrived, priority="normal", offset=0):
    return QueueItem(id, priority, "walkin", at(arrived), None, offset)


def ids(items, now=at(0), **kw):
    return [item.id for item in order_queue(items, now, **kw)]


def test_tiers_come_first():
    items = [walkin("n", 0), walkin("v", 5, "vip"), walkin("u", 6, "urgent"), walkin("e", 7, "emergency")]
    assert ids(items, at(8)) == ["e", "u", "v", "n"]


def test_on_time_appointments_by_slot_and_walkins_by_arrival_interleave():
    items = [appt("a20", 20, 15), appt("a0", 0, -5), walkin("w10", 10), walkin("w25", 25), appt("a30", 30, 25)]
    assert ids(items, at(26)) == ["a0", "w10", "a20", "w25", "a30"]


def test_an_early_appointment_waits_for_its_slot_time():
    assert ids([appt("early", 30, 0), walkin("w", 10)], at(10)) == ["w", "early"]


def test_late_arrival_slots_in_after_grace():
    # Slot 09:00, arrived 09:20 (late beyond the 10-minute grace): key 09:30, behind the 09:25 walk-in and
    # behind the on-time 09:30 appointment (ties go to the appointment), ahead of the 09:35 walk-in.
    items = [appt("late", 0, 20), walkin("w25", 25), walkin("w35", 35), appt("a30", 30, 28)]
    assert ids(items, at(36)) == ["w25", "a30", "late", "w35"]


def test_arrival_within_grace_keeps_the_slot_time():
    assert ids([walkin("w", 5), appt("a", 0, 10)], at(10)) == ["a", "w"]
    assert effective_time(appt("a", 0, 10), at(10)) == at(0)
    assert effective_time(appt("a", 0, 11), at(11)) == at(21)


def test_ageing_pulls_long_waiting_walkins_forward():
    items = [appt("a", 30, 29), walkin("w", 33)]
    assert ids(items, at(34)) == ["a", "w"]
    assert ids(items, at(33 + 60)) == ["w", "a"]  # two 30-minute steps pull the key 10 minutes earlier
    assert effective_time(walkin("w", 33), at(33 + 59)) == at(28)
    assert ids(items, at(33 + 60), ageing_minutes_per_step=0) == ["a", "w"]


def test_ageing_keeps_walkins_first_come_first_served():
    items = [walkin(i, i * 7) for i in range(10)]
    for minutes in range(0, 400, 13):
        assert ids(items, at(70 + minutes)) == list(range(10))


def test_ties_prefer_the_appointment_then_the_earlier_arrival_then_input_order():
    assert ids([walkin("w", 0), appt("a", 0, -10)], at(0)) == ["a", "w"]
    assert ids([walkin("x", 0), walkin("y", 0)], at(0)) == ["x", "y"]


def test_manual_offset_moves_within_the_tier():
    items = [walkin(n, i) for i, n in enumerate("abcd")] + [walkin("v", 9, "vip")]
    moved = items[:3] + [walkin("d", 3, offset=-2)] + items[4:]
    assert ids(moved, at(10)) == ["v", "a", "d", "b", "c"]
    down = [walkin("a", 0, offset=1)] + items[1:]
    assert ids(down, at(10)) == ["v", "b", "a", "c", "d"]
    far = [walkin("a", 0, offset=99)] + items[1:3] + [walkin("d", 3, offset=-99)] + items[4:]
    assert ids(far, at(10)) == ["v", "d", "b", "c", "a"]  # clamped to the tier: never ahead of the VIP


def test_equal_manual_targets_keep_the_previous_order():
    # b (+1) and d (-1) both aim at place 2; b was ahead, so b takes place 2 and d the next one.
    items = [walkin("a", 0), walkin("b", 1, offset=1), walkin("c", 2, offset=0), walkin("d", 3, offset=-1)]
    assert ids(items, at(5)) == ["a", "c", "b", "d"]


def test_unknown_values_are_refused():
    with pytest.raises(ValueError, match="priority"):
        order_queue([walkin("x", 0, "vvip")], NOW)
    with pytest.raises(ValueError, match="source"):
        order_queue([QueueItem("x", "normal", "phone", at(0), None)], NOW)


def test_empty_queue():
    assert order_queue([], NOW) == []


def test_an_appointment_without_a_slot_time_counts_as_a_walkin():
    item = QueueItem("x", "normal", "appointment", at(5), None)
    assert effective_time(item, at(5)) == at(5)


@pytest.mark.parametrize(
    ("prefix", "number", "label"),
    [("CAR", 14, "CAR-014"), ("car ", 7, "CAR-007"), ("ENT", 1234, "ENT-1234"), ("", 3, "003"), ("X", 0, "X-000")],
)
def test_token_label(prefix, number, label):
    assert token_label(prefix, number) == label


def test_token_label_refuses_negative_numbers():
    with pytest.raises(ValueError):
        token_label("CAR", -1)


queue_items = st.builds(
    QueueItem,
    id=st.uuids(),
    priority=st.sampled_from(PRIORITIES),
    source=st.sampled_from(["appointment", "walkin"]),
    arrived_at=st.integers(0, 240).map(at),
    slot_start=st.none() | st.integers(-30, 240).map(at),
    manual_offset=st.integers(-3, 3),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(queue_items, max_size=25), st.integers(240, 600).map(at))
def test_property_queue_is_a_permutation_in_tier_order(items, now):
    ordered = order_queue(items, now)
    assert sorted(i.id for i in ordered) == sorted(i.id for i in items)
    tiers = [PRIORITIES.index(i.priority) for i in ordered]
    assert tiers == sorted(tiers)


# --- entry statuses ---

LEGAL = {("waiting", "called"), ("called", "in_progress"), ("in_progress", "completed"), ("waiting", "left"),
         ("waiting", "no_show"), ("called", "left"), ("called", "no_show"), ("called", "waiting")}


@pytest.mark.parametrize("old", ENTRY_STATUSES)
@pytest.mark.parametrize("new", ENTRY_STATUSES)
def test_entry_transitions_are_exactly_the_documented_ones(old, new):
    assert can_enter(old, new) == ((old, new) in LEGAL)
    if (old, new) in LEGAL:
        check_entry_transition(old, new)
    else:
        with pytest.raises(core_errors.InvalidTransition) as caught:
            check_entry_transition(old, new)
        assert caught.value.field == "status" and caught.value.http_status == 409


def test_skipping_a_step_names_both_statuses_and_what_is_allowed():
    with pytest.raises(core_errors.InvalidTransition, match="waiting cannot become completed") as caught:
        check_entry_transition("waiting", "completed")
    assert "called" in caught.value.message


def test_unknown_status_is_refused():
    with pytest.raises(core_errors.InvalidTransition, match="Unknown"):
        check_entry_transition("waiting", "teleported")


def test_done_statuses_are_final_and_choices_cover_every_tier():
    assert all(not ENTRY_ALLOWED[s] for s in ("completed", "left", "no_show"))
    assert sorted(PRIORITY_CHOICES) == sorted(PRIORITIES) and PRIORITY_CHOICES[0] == "normal"


# --- estimated waits ---

def test_typical_minutes_is_the_median_of_the_last_n():
    assert typical_minutes([10, 12, 30, 11]) == 11.5
    assert typical_minutes([100, 100, 100, 8, 9, 10], sample_size=3) == 9
    assert typical_minutes([], default_minutes=20) == 20
    assert typical_minutes([0, -3, 600], default_minutes=7) == 7  # impossible lengths are ignored
    assert typical_minutes([5, 6], sample_size=0, default_minutes=9) == 9


def test_estimated_waits_count_the_people_ahead():
    items = [walkin("a", 0), walkin("b", 1), walkin("c", 2)]
    assert estimated_waits(items, [10, 10, 10], at(5)) == {"a": 0, "b": 10, "c": 20}


def test_estimated_waits_subtract_time_spent_by_the_one_in_progress():
    items = [walkin("a", 0), walkin("b", 1)]
    waits = estimated_waits(items, [12], at(5), in_progress_started=[at(0)])
    assert waits == {"a": 7, "b": 19}
    overdue = estimated_waits(items, [12], at(30), in_progress_started=[at(0)])
    assert overdue == {"a": 0, "b": 12}  # an overrunning consultation never makes a wait negative


def test_estimated_waits_default_and_called_patients_ahead():
    items = [walkin("a", 0)]
    assert estimated_waits(items, [], at(5), default_minutes=15, called_ahead=1) == {"a": 15}
    assert estimated_waits([], [10], at(5)) == {}


def test_estimated_waits_round_up_to_whole_minutes():
    assert estimated_waits([walkin("a", 0), walkin("b", 0)], [7.2], at(0)) == {"a": 0, "b": 8}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 120), max_size=15), st.integers(0, 30), st.integers(0, 3))
def test_property_waits_never_decrease_along_the_line(durations, queue_length, called):
    items = [walkin(i, i) for i in range(queue_length)]
    waits = estimated_waits(items, durations, at(40), called_ahead=called, in_progress_started=[at(10)])
    values = [waits[i] for i in range(queue_length)]
    assert values == sorted(values) and all(v >= 0 for v in values)


# --- pinned edges and other settings (the mutation run, docs/testing.md) -----------------------------------------


def test_late_grace_at_other_settings():
    on_the_edge = appt("a", 0, 10)  # slot 09:00, arrived 09:10
    assert effective_time(on_the_edge, at(10), late_grace_minutes=10) == at(0)  # exactly at the grace: on time
    assert effective_time(on_the_edge, at(10), late_grace_minutes=9) == at(19)  # arrived + grace
    assert effective_time(on_the_edge, at(10), late_grace_minutes=0) == at(10)
    assert effective_time(appt("b", 0, 25), at(25), late_grace_minutes=20) == at(45)


def test_order_queue_uses_the_late_grace_it_is_given():
    items = [walkin("w", 5), appt("a", 0, 12)]  # the appointment came 12 minutes after its 09:00 slot
    assert ids(items, now=at(12)) == ["w", "a"]  # default 10-minute grace: late, keyed 09:22
    assert ids(items, now=at(12), late_grace_minutes=15) == ["a", "w"]  # on time, keyed 09:00


def test_the_on_time_tie_break_uses_the_given_grace():
    # Both keyed 09:05: the appointment on time by its 09:05 slot; the walk-in by its arrival.
    items = [walkin("w", 5), appt("a", 5, 12)]
    assert ids(items, now=at(12), late_grace_minutes=7) == ["a", "w"]


def test_ageing_at_other_settings():
    w = walkin("w", 0)
    assert effective_time(w, at(60), ageing_minutes_per_step=20, ageing_pull_minutes=7) == at(-21)  # 3 steps of 7
    assert effective_time(w, at(59), ageing_minutes_per_step=20, ageing_pull_minutes=7) == at(-14)  # 2 full steps
    assert effective_time(w, at(30)) == at(-5)  # exactly one default step of 30 minutes
    assert effective_time(w, at(29)) == at(0)
    assert effective_time(w, at(600), ageing_minutes_per_step=0, ageing_pull_minutes=7) == at(0)  # off
    assert effective_time(w, at(-30)) == at(0)  # a clock before the arrival ages nobody


def test_late_arrivals_age_from_their_arrival():
    late = appt("a", 0, 20)  # keyed 09:30; waited 60 minutes at 10:20
    assert effective_time(late, at(80)) == at(20)
    assert effective_time(late, at(80), ageing_minutes_per_step=60, ageing_pull_minutes=15) == at(15)


def test_order_queue_uses_the_ageing_it_is_given():
    items = [appt("a", 40, 30), walkin("w", 0)]  # at 09:40 the walk-in has waited 40 minutes
    assert ids(items, now=at(40)) == ["w", "a"]
    assert ids(items, now=at(40), ageing_minutes_per_step=20, ageing_pull_minutes=30) == ["w", "a"]
    early = [walkin("w", 0), appt("a", -10, -20)]  # the appointment is keyed 08:50
    assert ids(early, now=at(40)) == ["a", "w"]  # the walk-in, keyed 08:55 after one step, stays behind
    assert ids(early, now=at(40), ageing_minutes_per_step=20, ageing_pull_minutes=10) == ["w", "a"]  # 08:40


def test_estimated_waits_add_called_patients_and_consultations_in_progress():
    items = [walkin("a", 0), walkin("b", 1), walkin("c", 2)]
    waits = estimated_waits(items, [10, 10, 10], at(10), called_ahead=2, in_progress_started=[at(6)])
    assert waits == {"a": 26, "b": 36, "c": 46}  # 2 called x 10 + the 6 minutes left of the one in the room
    two_rooms = estimated_waits(items, [10], at(10), in_progress_started=[at(6), at(-5)])
    assert two_rooms == {"a": 6, "b": 16, "c": 26}  # the overrunning one adds nothing
    not_started = estimated_waits(items[:1], [10], at(10), in_progress_started=[at(15)])
    assert not_started == {"a": 10}  # a start after now counts as nothing spent yet


def test_estimated_waits_pass_their_sample_settings_on():
    items = [walkin("a", 0), walkin("b", 1)]
    assert estimated_waits(items, [30, 30, 5, 5], at(0), sample_size=2) == {"a": 0, "b": 5}
    assert estimated_waits(items, [], at(0), default_minutes=12) == {"a": 0, "b": 12}


def test_typical_minutes_keeps_the_longest_real_consultation():
    assert typical_minutes([480, 480, 481]) == 480
    assert typical_minutes([0.5, 0, 481], default_minutes=3) == 0.5
    assert typical_minutes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) == 7.5  # the last ten: 3 to 12


def test_waits_round_up_but_not_for_float_noise():
    assert estimated_waits([walkin("a", 0), walkin("b", 0)], [10.000000000001], at(0)) == {"a": 0, "b": 10}
    assert estimated_waits([walkin("a", 0), walkin("b", 0)], [10.01], at(0)) == {"a": 0, "b": 11}


def test_entry_refusals_name_the_status_field():
    with pytest.raises(core_errors.InvalidTransition) as caught:
        check_entry_transition("waiting", "in_progress")
    assert (caught.value.code, caught.value.field) == ("invalid_transition", "status")
    assert caught.value.message == ("A token that is waiting cannot become in progress "
                                    "(allowed: called, left, no show).")
    with pytest.raises(core_errors.InvalidTransition) as caught:
        check_entry_transition("completed", "waiting")
    assert caught.value.message == "A token that is completed cannot become waiting (allowed: nothing)."
    with pytest.raises(core_errors.InvalidTransition) as caught:
        check_entry_transition("waiting", "gone")
    assert (caught.value.field, caught.value.message) == ("status", "Unknown queue status 'gone'.")


def test_offsets_are_clamped_to_the_tier():
    items = [walkin("a", 0), walkin("b", 1), walkin("c", 2, offset=-9), walkin("u", 3, "urgent")]
    assert ids(items) == ["u", "c", "a", "b"]
    items = [walkin("a", 0, offset=9), walkin("b", 1), walkin("c", 2)]
    assert ids(items) == ["b", "c", "a"]


def test_unknown_and_multi_word_statuses_in_refusals():
    assert can_enter("gone", "waiting") is False
    with pytest.raises(core_errors.InvalidTransition) as caught:
        check_entry_transition("gone", "waiting")
    assert caught.value.message == "A token that is gone cannot become waiting (allowed: nothing)."
    with pytest.raises(core_errors.InvalidTransition) as caught:
        check_entry_transition("in_progress", "no_show")
    assert caught.value.message == "A token that is in progress cannot become no show (allowed: completed)."


def test_token_label_refusal_message_and_default_wait():
    with pytest.raises(ValueError, match="^A token number cannot be negative.$"):
        token_label("car", -1)
    assert estimated_waits([walkin("a", 0), walkin("b", 0)], [], at(0)) == {"a": 0, "b": 15}


def test_typical_minutes_defaults_and_a_sample_of_one():
    assert typical_minutes([]) == 15
    assert typical_minutes([5, 9], sample_size=1) == 9


def test_order_queue_defaults_written_out():
    # a 10-minute grace: arriving 11 minutes after the slot is late (keyed 09:21), so the 09:05 walk-in goes first
    assert ids([walkin("w", 5), appt("a", 0, 11)], now=at(11)) == ["w", "a"]
    # ageing by 5 minutes per 30 waited: at 09:30 the 09:00 walk-in is keyed 08:55
    assert ids([walkin("w", 0), appt("a", -3, -10)], now=at(30)) == ["w", "a"]  # ahead of an 08:57 slot
    assert ids([walkin("w", 0), appt("a", -5, -10)], now=at(30)) == ["a", "w"]  # a tie with 08:55: on time first


def test_ageing_by_the_minute():
    assert effective_time(walkin("w", 0), at(3), ageing_minutes_per_step=1, ageing_pull_minutes=1) == at(-3)


def test_offsets_land_in_ascending_target_order():
    items = [walkin("a", 0), walkin("b", 1, offset=-1), walkin("c", 2, offset=1), walkin("d", 3), walkin("e", 4)]
    assert ids(items) == ["b", "a", "d", "c", "e"]


def test_estimated_waits_sample_the_last_ten_by_default():
    durations = [10] + [50] * 5 + [10] * 5  # the last ten: five of 50 and five of 10, median 30
    assert estimated_waits([walkin("a", 0), walkin("b", 0)], durations, at(0)) == {"a": 0, "b": 30}
