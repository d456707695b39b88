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
    estimated_waits,
    is_booked,
    order_queue,
    serving_plan,
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


def test_emergencies_then_urgent_go_first_by_arrival():
    items = [walkin("n", 0), walkin("v", 5, "vip"), walkin("u2", 7, "urgent"), walkin("u1", 6, "urgent"),
             walkin("e", 8, "emergency"), appt("ua", 0, 9, "urgent")]
    assert ids(items, at(10)) == ["e", "u1", "u2", "ua", "v", "n"]


def test_a_booked_patient_keeps_their_place_as_walkins_arrive():
    # CAR-004: booked 09:30, here since 08:24. Walk-ins fill the time until 09:30, no more: the booked patient
    # starts at 09:30 however many walk-ins come after them.
    car004 = appt("car004", 30, -36)
    walkins = [walkin(f"w{minute}", minute) for minute in range(-30, 30, 5)]
    ordered = ids([car004, *walkins], at(-30))  # 08:30, the doctor free now, 15 minutes a visit
    assert ordered == ["w-30", "w-25", "w-20", "w-15", "car004", *[w.id for w in walkins[4:]]]
    assert ids([car004, *walkins], at(20)) == ["car004", *[w.id for w in walkins]]  # 09:20: nobody fits before


def test_no_walkin_passes_a_booked_patient_whose_slot_has_come():
    items = [walkin("early", -60), appt("a", 0, -5), walkin("late", -1)]
    assert ids(items, at(0)) == ["a", "early", "late"]  # the slot has come: even the earlier walk-in waits


def test_walkins_fill_the_gaps_between_booked_slots():
    items = [appt("a0", 0, -5), appt("a30", 30, 25), walkin("w10", 10), walkin("w12", 12), appt("a60", 60, 1)]
    assert ids(items, at(0)) == ["a0", "w10", "a30", "w12", "a60"]  # 09:00, 09:15, 09:30, 09:45, 10:00
    assert ids(items, at(0), consultation_minutes=10) == ["a0", "w10", "w12", "a30", "a60"]  # 09:00 ... 09:40


def test_a_booked_patient_goes_in_early_when_no_walkin_fits():
    items = [appt("a", 20, 0), walkin("w", 5)]
    assert ids(items, at(10)) == ["a", "w"]  # a walk-in at 09:10 would run to 09:25, past the 09:20 slot
    assert ids(items, at(5)) == ["w", "a"]  # at 09:05 it is done by 09:20
    assert ids([appt("a", 90, 0)], at(10)) == ["a"]  # nobody else: seen early rather than the doctor waiting


def test_the_doctor_busy_moves_the_turn():
    items = [appt("a", 30, 0), walkin("w", 5)]
    assert ids(items, at(10)) == ["w", "a"]
    assert ids(items, at(10), busy_minutes=10) == ["a", "w"]  # free at 09:20: a walk-in would end at 09:35


def test_vip_walkins_before_other_walkins_but_not_before_a_booked_slot():
    items = [walkin("n", 0), walkin("v", 5, "vip"), appt("a", 0, -5)]
    assert ids(items, at(5)) == ["a", "v", "n"]


def test_a_late_booked_patient_joins_the_walkins_by_arrival():
    items = [appt("late", 0, 31), walkin("w25", 25), walkin("w35", 35), appt("a60", 60, 28)]
    assert ids(items, at(36)) == ["w25", "a60", "late", "w35"]  # a w25 visit ends 09:51, a60 at 10:00 comes next
    assert ids(items, at(36), late_grace_minutes=40) == ["late", "a60", "w25", "w35"]  # within a longer grace
    assert is_booked(appt("edge", 0, 30)) and not is_booked(appt("edge", 0, 31))  # 30 minutes: the default
    assert is_booked(appt("edge", 0, 10), 10) and not is_booked(appt("edge", 0, 11), 10)
    assert not is_booked(QueueItem("x", "normal", "appointment", at(5), None))  # no slot time: a walk-in
    assert not is_booked(QueueItem("x", "normal", "walkin", at(5), at(5)))


def test_ties_go_to_the_earlier_arrival_then_input_order():
    assert ids([walkin("x", 0), walkin("y", 0)], at(0)) == ["x", "y"]
    assert ids([appt("b", 30, 10), appt("a", 30, 5)], at(0)) == ["a", "b"]
    assert ids([appt("b", 30, 5), appt("a", 30, 5)], at(0)) == ["b", "a"]


def test_manual_offset_moves_within_the_group():
    items = [walkin(n, i) for i, n in enumerate("abcd")] + [walkin("u", 9, "urgent")]
    moved = items[:3] + [walkin("d", 3, offset=-2)] + items[4:]
    assert ids(moved, at(10)) == ["u", "a", "d", "b", "c"]
    down = [walkin("a", 0, offset=1)] + items[1:]
    assert ids(down, at(10)) == ["u", "b", "a", "c", "d"]
    far = [walkin("a", 0, offset=99)] + items[1:3] + [walkin("d", 3, offset=-99)] + items[4:]
    assert ids(far, at(10)) == ["u", "d", "b", "c", "a"]  # clamped to the group: never ahead of the urgent one


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

def test_estimated_waits_count_the_people_ahead():
    items = [walkin("a", 0), walkin("b", 1), walkin("c", 2)]
    assert estimated_waits(items, [10, 10, 10], at(5), default_minutes=10) == {"a": 0, "b": 10, "c": 20}


def test_estimated_waits_subtract_time_spent_by_the_one_in_progress():
    items = [walkin("a", 0), walkin("b", 1)]
    waits = estimated_waits(items, [12], at(5), in_progress_started=[at(0)], default_minutes=12)
    assert waits == {"a": 7, "b": 19}
    overdue = estimated_waits(items, [12], at(30), in_progress_started=[at(0)], default_minutes=12)
    assert overdue == {"a": 0, "b": 12}  # an overrunning consultation never makes a wait negative


def test_estimated_waits_default_and_called_patients_ahead():
    items = [walkin("a", 0)]
    assert estimated_waits(items, [], at(5), default_minutes=15, called_ahead=1) == {"a": 15}
    assert estimated_waits([], [10], at(5)) == {}


def test_estimated_waits_round_up_to_whole_minutes():
    assert estimated_waits([walkin("a", 0), walkin("b", 0)], [], at(0), default_minutes=7.2) == {"a": 0, "b": 8}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 120), max_size=15), st.integers(0, 30), st.integers(0, 3))
def test_property_waits_never_decrease_along_the_line(durations, queue_length, called):
    items = [walkin(i, i) for i in range(queue_length)]
    waits = estimated_waits(items, durations, at(40), called_ahead=called, in_progress_started=[at(10)])
    values = [waits[i] for i in range(queue_length)]
    assert values == sorted(values) and all(v >= 0 for v in values)


# --- pinned edges and other settings (the mutation run, docs/testing.md) -----------------------------------------


def test_estimated_waits_add_called_patients_and_consultations_in_progress():
    items = [walkin("a", 0), walkin("b", 1), walkin("c", 2)]
    waits = estimated_waits(items, [10, 10, 10], at(10), called_ahead=2, in_progress_started=[at(6)],
                            default_minutes=10)
    assert waits == {"a": 26, "b": 36, "c": 46}  # 2 called x 10 + the 6 minutes left of the one in the room
    two_rooms = estimated_waits(items, [], at(10), in_progress_started=[at(6), at(-5)], default_minutes=10)
    assert two_rooms == {"a": 6, "b": 16, "c": 26}  # the overrunning one adds nothing
    not_started = estimated_waits(items[:1], [], at(10), in_progress_started=[at(15)], default_minutes=10)
    assert not_started == {"a": 10}  # a start after now counts as nothing spent yet


def test_waits_round_up_but_not_for_float_noise():
    pair = [walkin("a", 0), walkin("b", 0)]
    assert estimated_waits(pair, [], at(0), default_minutes=10.000000000001) == {"a": 0, "b": 10}
    assert estimated_waits(pair, [], at(0), default_minutes=10.01) == {"a": 0, "b": 11}


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


def test_offsets_land_in_ascending_target_order():
    items = [walkin("a", 0), walkin("b", 1, offset=-1), walkin("c", 2, offset=1), walkin("d", 3), walkin("e", 4)]
    assert ids(items) == ["b", "a", "d", "c", "e"]




# --- the doctor's pace and a stable estimate ------------------------------------------------------------------------


def test_the_pace_starts_at_the_slot_length_and_moves_a_fifth_of_the_way():
    assert typical_minutes([]) == 15 and typical_minutes([], default_minutes=20) == 20
    assert typical_minutes([20]) == pytest.approx(16)  # 15 + (20 - 15) / 5
    assert typical_minutes([10, 10]) == pytest.approx(13.2)  # 14, then 13.2
    assert typical_minutes([20], weight=0.5) == pytest.approx(17.5)
    assert typical_minutes([15, 15, 15]) == 15  # visits on time leave the pace as it was


def test_one_long_visit_counts_at_most_double():
    # the case: the first visit of the day ran 35 minutes against a 15-minute slot
    assert typical_minutes([35]) == pytest.approx(18)  # counted as 30, not 35: estimates grow by a fifth, not 2.3 x
    assert typical_minutes([240]) == pytest.approx(18)
    assert typical_minutes([1]) == pytest.approx(13.5)  # at least half the pace: counted as 7.5


def test_impossible_lengths_are_ignored():
    assert typical_minutes([0, -3, 481], default_minutes=7) == 7
    assert typical_minutes([480], default_minutes=240) == pytest.approx(288)
    assert typical_minutes([12], default_minutes=0) == 12  # no schedule length: the first visit sets the pace


def test_serving_plan_orders_and_estimates_from_one_pace():
    car004, early = appt("car004", 30, -36), walkin("w", -30)
    ordered, waits = serving_plan([car004, early], [], at(-30), in_progress_started=[at(-35)])
    assert [i.id for i in ordered] == ["w", "car004"]  # the doctor is free at 08:40: w ends 08:55 < 09:30
    assert waits == {"w": 10, "car004": 25}
    ordered, waits = serving_plan([car004, early], [], at(20), called_ahead=1)
    assert [i.id for i in ordered] == ["car004", "w"] and waits == {"car004": 15, "w": 30}
    ordered, _ = serving_plan([appt("late", -40, -5), walkin("w", -20)], [], at(0), late_grace_minutes=0)
    assert [i.id for i in ordered] == ["w", "late"]  # no grace: 5 minutes late is late


WALKINS_AND_BOOKINGS = st.lists(
    st.builds(QueueItem, id=st.uuids(), priority=st.sampled_from(["normal", "vip"]),
              source=st.sampled_from(["appointment", "walkin"]), arrived_at=st.integers(-120, 240).map(at),
              slot_start=st.none() | st.integers(-60, 300).map(at)),
    max_size=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(queue_items, max_size=25), st.integers(240, 600).map(at), st.integers(1, 60), st.integers(0, 90))
def test_property_queue_is_a_permutation_emergency_then_urgent_first(items, now, pace, busy):
    ordered = order_queue(items, now, consultation_minutes=pace, busy_minutes=busy)
    assert sorted(i.id for i in ordered) == sorted(i.id for i in items)
    groups = [min(PRIORITIES.index(i.priority), 2) for i in ordered]
    assert groups == sorted(groups)


@settings(max_examples=300, deadline=None)
@given(WALKINS_AND_BOOKINGS, st.integers(-60, 240).map(at), st.integers(5, 40), st.integers(0, 60))
def test_property_a_walkin_goes_before_a_booked_patient_only_if_done_by_their_time(items, now, pace, busy):
    ordered = order_queue(items, now, consultation_minutes=pace, busy_minutes=busy)
    free = now + timedelta(minutes=busy)
    for place, item in enumerate(ordered):
        if not is_booked(item):
            continue
        for ahead_place, ahead in enumerate(ordered[:place]):
            if not is_booked(ahead):
                assert free + timedelta(minutes=pace * (ahead_place + 1)) <= item.slot_start


@settings(max_examples=300, deadline=None)
@given(WALKINS_AND_BOOKINGS, st.integers(-60, 240).map(at), st.integers(5, 40), st.integers(0, 60))
def test_property_the_first_booked_patient_starts_by_their_slot_time(items, now, pace, busy):
    # walk-ins, however many and whenever they came, never push a booked patient past their time
    ordered = order_queue(items, now, consultation_minutes=pace, busy_minutes=busy)
    free = now + timedelta(minutes=busy)
    booked = [place for place, item in enumerate(ordered) if is_booked(item)]
    if booked:
        first = min(booked, key=lambda place: (ordered[place].slot_start, place))
        assert free + timedelta(minutes=pace * first) <= max(ordered[first].slot_start, free)


@settings(max_examples=300, deadline=None)
@given(st.lists(queue_items, min_size=1, max_size=20), st.lists(st.integers(3, 90), max_size=12),
       st.integers(5, 30), st.floats(0, 1), st.integers(0, 2), st.integers(0, 300).map(at))
def test_property_a_visit_ending_on_time_moves_no_estimate_by_more_than_one_consultation(
        items, history, slot_length, spent_share, called, started):
    items = [QueueItem(i.id, i.priority, i.source, i.arrived_at, i.slot_start) for i in items]
    pace = typical_minutes(history, default_minutes=slot_length)
    now = started + timedelta(minutes=pace * spent_share)  # any moment of the visit in the room
    _, before = serving_plan(items, history, now, in_progress_started=[started], called_ahead=called,
                             default_minutes=slot_length)
    ended = started + timedelta(minutes=pace)
    length = (ended - started).total_seconds() / 60  # what the board reads back from the two timestamps
    _, after = serving_plan(items, [*history, length], ended, called_ahead=called, default_minutes=slot_length)
    assert typical_minutes([*history, length], default_minutes=slot_length) == pytest.approx(pace, abs=1e-6)
    for item in items:
        assert abs(after[item.id] - before[item.id]) <= pace + 1  # one consultation, and the rounding
