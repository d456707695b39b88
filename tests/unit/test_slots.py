"""Unit tests for app.scheduling.slots: slot generation, free-slot search and booking-time validation."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling.availability import AvailabilityException, Policy, Schedule, WeeklyRule, Window, expand_windows
from app.scheduling.errors import (
    BeyondHorizon,
    Blocked,
    DailyLimitReached,
    InPast,
    OutsideHours,
    SchedulingError,
    SlotTaken,
    TooShortNotice,
    TypeNotOffered,
)
from app.scheduling.slots import Busy, FreeSlot, Slot, check_bookable, free_slots, generate_slots
from app.scheduling.timeutil import to_local

UTC_TZ = ZoneInfo("UTC")
LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 6, 1)
NOW = datetime(2026, 5, 31, 12)  # Sunday noon, the day before


def at(hour, minute=0, day=MONDAY):
    return datetime.combine(day, time(hour, minute))


def make_slots(*rules, policy=Policy(), exceptions=(), days=1, tz=UTC_TZ):
    sched = Schedule(date(2026, 1, 1), None, tuple(rules), policy)
    windows = expand_windows([sched], list(exceptions), tz, MONDAY, MONDAY + timedelta(days - 1))
    return generate_slots(windows, tz, policy)


def morning(**kw):
    return WeeklyRule(0, time(9), time(10), **kw)


def starts(items):
    return [s.start.strftime("%H:%M") for s in items]


# --- generate_slots ------------------------------------------------------------------------------------------


def test_cuts_a_window_into_slots():
    slots = make_slots(morning())
    assert starts(slots) == ["09:00", "09:15", "09:30", "09:45"]
    assert all(s.end - s.start == timedelta(minutes=15) for s in slots)
    assert slots[0] == Slot(at(9), at(9, 15), MONDAY, "slots", 1, frozenset(), False, at(9))


def test_buffer_steps_the_grid_but_not_the_slot_length():
    slots = make_slots(morning(), policy=Policy(buffer_minutes=5))
    assert starts(slots) == ["09:00", "09:20", "09:40"]
    assert all(s.end - s.start == timedelta(minutes=15) for s in slots)


def test_token_slots_carry_capacity_and_types():
    slots = make_slots(morning(kind="tokens", slot_minutes=30, tokens_per_slot=12, appointment_types=frozenset({"x"})))
    assert [(s.kind, s.capacity, s.appointment_types) for s in slots] == [("tokens", 12, frozenset({"x"}))] * 2


def test_leave_removes_whole_slots_and_keeps_the_grid():
    leave = AvailabilityException(at(9, 7), at(9, 20), False)
    assert starts(make_slots(morning(), exceptions=[leave])) == ["09:30", "09:45"]
    later = AvailabilityException(at(9, 22), at(9, 31), False)
    assert starts(make_slots(morning(), exceptions=[later])) == ["09:00", "09:45"]


def test_a_window_without_origin_aligns_to_its_rule_start():
    window = Window(at(9, 10), at(10), MONDAY, morning())
    assert starts(generate_slots([window], UTC_TZ, Policy())) == ["09:15", "09:30", "09:45"]


def test_a_trailing_partial_slot_is_dropped():
    assert starts(make_slots(WeeklyRule(0, time(9), time(9, 50), slot_minutes=20))) == ["09:00", "09:20"]


def test_urgent_hold_is_spread_evenly_per_day():
    slots = make_slots(WeeklyRule(0, time(9), time(11)), WeeklyRule(1, time(9), time(11)), days=2,
                       policy=Policy(urgent_share=0.25))
    held = [i for i, s in enumerate(slots) if s.urgent_hold]
    assert held == [3, 7, 11, 15]  # the pattern restarts each day: 8 slots a day, 2 held


def test_urgent_share_edges():
    assert not any(s.urgent_hold for s in make_slots(morning()))
    half = make_slots(morning(), policy=Policy(urgent_share=0.5))
    assert [s.urgent_hold for s in half] == [False, True, False, True]


def test_urgent_share_is_free_of_float_noise():
    # 0.29 * 100 == 28.999999999999996 in floating point; the integer maths still holds exactly 29 of 100.
    slots = make_slots(WeeklyRule(0, time(0), time(8, 20), slot_minutes=5), policy=Policy(urgent_share=0.29))
    assert len(slots) == 100
    assert sum(s.urgent_hold for s in slots) == 29


def test_a_rule_ending_inside_the_spring_gap_ends_when_the_clocks_jump():
    sunday = date(2026, 3, 29)
    sched = Schedule(date(2026, 1, 1), None, (WeeklyRule(6, time(0, 30), time(1, 30)),), Policy())
    slots = generate_slots(expand_windows([sched], [], LONDON, sunday, sunday), LONDON, Policy())
    # 00:30-01:00 GMT exists, then the clock reads 02:00 BST: two slots, the second ending "at 02:00".
    assert [(s.start, s.end) for s in slots] == [
        (datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 0, 45)),
        (datetime(2026, 3, 29, 0, 45), datetime(2026, 3, 29, 1, 0)),
    ]


def test_the_repeated_autumn_hour_yields_slots_in_both_occurrences():
    sunday = date(2026, 10, 25)
    sched = Schedule(date(2026, 1, 1), None, (WeeklyRule(6, time(0, 30), time(2, 30), slot_minutes=30),), Policy())
    slots = generate_slots(expand_windows([sched], [], LONDON, sunday, sunday), LONDON, Policy())
    # 00:30 BST to 02:30 GMT is three hours of real time: six half-hour slots, 01:00 and 01:30 twice.
    assert [to_local(s.start, LONDON).strftime("%H:%M%z") for s in slots] == [
        "00:30+0100", "01:00+0100", "01:30+0100", "01:00+0000", "01:30+0000", "02:00+0000",
    ]


# --- free_slots ----------------------------------------------------------------------------------------------


def free(slots, busy=(), now=NOW, policy=Policy(), tz=UTC_TZ, **kw):
    return free_slots(slots, list(busy), now, policy, tz, **kw)


def test_all_slots_free_on_an_empty_day():
    result = free(make_slots(morning()))
    assert starts(result) == ["09:00", "09:15", "09:30", "09:45"]
    assert result[0] == FreeSlot(at(9), at(9, 15), MONDAY, "slots", 1, False)


def test_busy_intervals_take_the_slots_they_overlap():
    busy = [Busy(at(9, 10), at(9, 20)), Busy(at(9, 45), at(10))]
    assert starts(free(make_slots(morning()), busy)) == ["09:30"]


def test_busy_order_does_not_matter():
    busy = [Busy(at(9, 45), at(10)), Busy(at(9), at(9, 15))]
    assert starts(free(make_slots(morning()), busy)) == ["09:15", "09:30"]


def test_overbooking_seats():
    busy = [Busy(at(9), at(9, 15)), Busy(at(9, 15), at(9, 30), seats=2)]
    result = free(make_slots(morning()), busy, seats_per_slot=2)
    assert [(s.start.minute, s.seats_left) for s in result] == [(0, 1), (30, 2), (45, 2)]


def test_token_slots_count_every_busy_seat():
    slots = make_slots(morning(kind="tokens", slot_minutes=30, tokens_per_slot=3))
    busy = [Busy(at(9), at(9, 30))] * 2 + [Busy(at(9, 30), at(10), seats=3)]
    assert [(s.start.minute, s.seats_left) for s in free(slots, busy)] == [(0, 1)]


def test_minimum_notice_and_past():
    policy = Policy(min_notice_minutes=30)
    assert starts(free(make_slots(morning()), now=at(8, 45), policy=policy)) == ["09:15", "09:30", "09:45"]
    assert starts(free(make_slots(morning()), now=at(9, 40))) == ["09:45"]


def test_horizon_counts_local_days():
    slots = make_slots(morning(), WeeklyRule(1, time(9), time(9, 15)), days=2)
    assert starts(free(slots, now=datetime(2026, 5, 31, 23), policy=Policy(horizon_days=1))) == starts(slots[:4])
    # 23:30 UTC on Sunday is already Monday in London, so Tuesday is within one day there.
    tz_slots = make_slots(morning(), WeeklyRule(1, time(9), time(9, 15)), days=2, tz=LONDON)
    result = free(tz_slots, now=datetime(2026, 5, 31, 23, 30), policy=Policy(horizon_days=1), tz=LONDON)
    assert len(result) == 5


def test_appointment_type_filter():
    slots = make_slots(morning(appointment_types=frozenset({"new"})), WeeklyRule(0, time(10), time(10, 15)))
    assert starts(free(slots, appointment_type="new")) == ["09:00", "09:15", "09:30", "09:45", "10:00"]
    assert starts(free(slots, appointment_type="follow_up")) == ["10:00"]


def test_daily_limit_closes_the_whole_day():
    slots = make_slots(morning(), WeeklyRule(1, time(9), time(9, 30)), days=2)
    result = free(slots, policy=Policy(daily_limit=3), day_counts={MONDAY: 3})
    assert [s.local_date for s in result] == [date(2026, 6, 2)] * 2
    assert len(free(slots, policy=Policy(daily_limit=3), day_counts={MONDAY: 2})) == 6


def test_urgent_hold_offered_to_urgent_or_near_release():
    policy = Policy(urgent_share=0.5, urgent_release_hours=24)
    slots = make_slots(morning(), policy=policy)
    far = datetime(2026, 5, 30)
    assert starts(free(slots, now=far, policy=policy)) == ["09:00", "09:30"]
    assert starts(free(slots, now=far, policy=policy, urgency="urgent")) == ["09:00", "09:15", "09:30", "09:45"]
    near = at(9, 15) - timedelta(hours=24)  # 09:15 is released, 09:45 not yet
    result = free(slots, now=near, policy=policy)
    assert starts(result) == ["09:00", "09:15", "09:30"]
    assert result[1].urgent_hold


def test_duration_spans_contiguous_slots():
    result = free(make_slots(morning()), [Busy(at(9, 30), at(9, 45))], duration_minutes=30)
    assert [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in result] == [("09:00", "09:30")]


def test_duration_not_a_multiple_of_the_slot():
    result = free(make_slots(morning()), duration_minutes=20)
    assert [(s.start.minute, s.end.minute) for s in result] == [(0, 20), (15, 35), (30, 50)]


def test_shorter_duration_still_holds_the_whole_slot():
    assert free(make_slots(morning()), duration_minutes=10)[0].end == at(9, 15)


def test_duration_does_not_cross_a_leave_or_the_end():
    leave = AvailabilityException(at(9, 20), at(9, 25), False)
    assert starts(free(make_slots(morning(), exceptions=[leave]), duration_minutes=30)) == ["09:30"]
    assert starts(free(make_slots(morning()), duration_minutes=45)) == ["09:00", "09:15"]


def test_duration_spans_across_the_buffer():
    policy = Policy(buffer_minutes=5)
    result = free(make_slots(morning(), policy=policy), policy=policy, duration_minutes=30)
    assert [(s.start.minute, s.end.minute) for s in result] == [(0, 30), (20, 50)]


def test_duration_needs_every_slot_of_the_run_to_offer_the_type():
    second = WeeklyRule(0, time(10), time(11), appointment_types=frozenset({"b"}))
    slots = make_slots(morning(appointment_types=frozenset({"a"})), second)
    assert starts(free(slots, appointment_type="a", duration_minutes=30)) == ["09:00", "09:15", "09:30"]
    # A run never leaves its window, even into a touching rule that offers the type.
    assert "09:45" not in starts(free(make_slots(morning(), WeeklyRule(0, time(10), time(11))), duration_minutes=30))


def test_duration_never_runs_over_a_leave_hidden_in_the_buffer():
    policy = Policy(buffer_minutes=5)
    leave = AvailabilityException(at(9, 15), at(9, 20), False)  # removes no slot, only the gap between two
    slots = make_slots(morning(), policy=policy, exceptions=[leave])
    assert starts(slots) == ["09:00", "09:20", "09:40"]
    assert starts(free(slots, policy=policy, duration_minutes=30)) == ["09:20"]


def test_duration_is_ignored_for_tokens():
    slots = make_slots(morning(kind="tokens", slot_minutes=30, tokens_per_slot=5))
    assert [(s.start.minute, s.end.minute) for s in free(slots, duration_minutes=90)] == [(0, 30), (30, 0)]


def test_overlapping_busy_peak_not_sum_for_long_appointments():
    busy = [Busy(at(9), at(9, 15)), Busy(at(9, 15), at(9, 30))]
    result = free(make_slots(morning()), busy, duration_minutes=30, seats_per_slot=2)
    assert [(s.start.minute, s.seats_left) for s in result][:2] == [(0, 1), (15, 1)]


def test_scales_to_many_slots_and_bookings():
    rules = [WeeklyRule(d, time(8), time(18), slot_minutes=5) for d in range(7)]
    slots = make_slots(*rules, days=14)
    busy = [Busy(s.start, s.end) for s in slots[::2]]
    result = free(slots, busy, now=datetime(2026, 5, 1))
    assert len(result) == len(slots) // 2


# --- check_bookable ------------------------------------------------------------------------------------------


def book(slots, start, busy=(), now=NOW, policy=Policy(), **kw):
    return check_bookable(slots, list(busy), now, policy, UTC_TZ, start, **kw)


def test_bookable_returns_the_free_slot():
    assert book(make_slots(morning()), at(9, 15)) == FreeSlot(at(9, 15), at(9, 30), MONDAY, "slots", 1, False)


@pytest.mark.parametrize(
    ("kwargs", "error", "code", "field", "message"),
    [
        ({"now": at(9, 20)}, InPast, "in_past", "start", "That time has already passed."),
        ({"now": at(8, 50), "policy": Policy(min_notice_minutes=30)}, TooShortNotice, "min_notice", "start",
         "Appointments need at least 30 minutes' notice."),
        ({"now": datetime(2026, 5, 1), "policy": Policy(horizon_days=30)}, BeyondHorizon, "beyond_horizon", "start",
         "Appointments can be booked at most 30 days ahead."),
        ({"appointment_type": "x", "slots": "typed"}, TypeNotOffered, "type_not_offered", "appointment_type",
         "This time is not offered for that type of appointment."),
        ({"policy": Policy(daily_limit=2), "day_count": 2}, DailyLimitReached, "daily_limit", "start",
         "No more appointments can be booked on that day."),
        ({"busy": [Busy(at(9, 10), at(9, 20))]}, SlotTaken, "slot_taken", "start",
         "This time has just been taken. Please choose another."),
        ({"now": datetime(2026, 5, 20), "policy": Policy(urgent_share=0.5), "slots": "held"}, SlotTaken, "slot_taken",
         "start", "This time is held for urgent cases."),
    ],
)
def test_each_refusal(kwargs, error, code, field, message):
    # A copy per run: popping from the shared parameters would change the case for any rerun (mutmut runs the
    # same test many times in one process: docs/testing.md, "Mutation testing").
    kwargs = dict(kwargs)
    kind = kwargs.pop("slots", None)
    rule = morning(appointment_types=frozenset({"y"})) if kind == "typed" else morning()
    slots = make_slots(rule, policy=kwargs["policy"]) if kind == "held" else make_slots(rule)
    with pytest.raises(error) as caught:
        book(slots, at(9, 15), **kwargs)
    assert (caught.value.code, caught.value.field, caught.value.message) == (code, field, message)


def test_refusals_come_in_the_documented_order():
    slots = make_slots(morning(appointment_types=frozenset({"y"})))
    everything = {"busy": [Busy(at(9), at(10))], "appointment_type": "x", "day_count": 9}
    policy = Policy(daily_limit=1, min_notice_minutes=60, horizon_days=1)
    with pytest.raises(InPast):
        book(slots, at(9, 15), now=at(9, 30), policy=policy, **everything)
    with pytest.raises(TooShortNotice):
        book(slots, at(9, 15), now=at(9), policy=policy, **everything)
    with pytest.raises(BeyondHorizon):
        book(slots, at(9, 15), now=datetime(2026, 5, 1), policy=policy, **everything)
    with pytest.raises(OutsideHours):
        book(slots, at(9, 5), policy=policy, **everything)
    with pytest.raises(TypeNotOffered):
        book(slots, at(9, 15), policy=policy, **everything)
    with pytest.raises(DailyLimitReached):
        book(slots, at(9, 15), policy=policy, **{**everything, "appointment_type": "y"})


def test_blocked_versus_outside_hours():
    leave = AvailabilityException(at(9, 7), at(9, 20), False)
    slots = make_slots(morning(), exceptions=[leave])
    blocked = [(leave.start, leave.end)]
    with pytest.raises(Blocked):
        book(slots, at(9), blocked=blocked)
    with pytest.raises(Blocked):
        book(slots, at(9, 15), blocked=blocked)
    with pytest.raises(OutsideHours):
        book(slots, at(9), blocked=())
    with pytest.raises(OutsideHours):
        book(slots, at(11), blocked=blocked)
    with pytest.raises(OutsideHours):
        book([], at(11))


def test_long_appointment_running_out_of_slots():
    leave = AvailabilityException(at(9, 30), at(9, 45), False)
    slots = make_slots(morning(), exceptions=[leave])
    with pytest.raises(Blocked):
        book(slots, at(9, 15), duration_minutes=30, blocked=[(leave.start, leave.end)])
    with pytest.raises(OutsideHours) as caught:
        book(slots, at(9, 45), duration_minutes=30)
    assert "past the end" in caught.value.message
    assert book(slots, at(9), duration_minutes=30).end == at(9, 30)


def test_urgent_hold_refused_to_routine_before_release():
    policy = Policy(urgent_share=0.5)
    slots = make_slots(morning(), policy=policy)
    with pytest.raises(SlotTaken) as caught:
        book(slots, at(9, 15), now=datetime(2026, 5, 20), policy=policy)
    assert "urgent" in caught.value.message
    assert book(slots, at(9, 15), now=datetime(2026, 5, 20), policy=policy, urgency="urgent").urgent_hold


def test_overbooked_seat_is_bookable():
    result = book(make_slots(morning()), at(9), busy=[Busy(at(9), at(9, 15))], seats_per_slot=2)
    assert result.seats_left == 1


# --- property: the search and the booking check agree -----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    slot_minutes=st.sampled_from([10, 15, 20, 30]),
    buffer=st.sampled_from([0, 5]),
    share=st.sampled_from([0.0, 0.2, 0.5]),
    notice=st.sampled_from([0, 60, 600]),
    limit=st.sampled_from([None, 1, 3]),
    duration=st.sampled_from([None, 20, 45]),
    kind=st.sampled_from(["slots", "tokens"]),
    seats=st.integers(1, 2),
    urgency=st.sampled_from(["routine", "urgent"]),
)
def test_property_free_slots_and_check_bookable_agree(
    data, slot_minutes, buffer, share, notice, limit, duration, kind, seats, urgency
):
    policy = Policy(horizon_days=2, daily_limit=limit, min_notice_minutes=notice, buffer_minutes=buffer,
                    urgent_share=share, urgent_release_hours=6)
    rules = [WeeklyRule(d, time(8), time(12), kind=kind, slot_minutes=slot_minutes, tokens_per_slot=2) for d in (0, 1)]
    leave_start = at(9) + timedelta(minutes=data.draw(st.integers(0, 180)))
    leave = AvailabilityException(leave_start, leave_start + timedelta(minutes=data.draw(st.integers(1, 60))), False)
    slots = make_slots(*rules, policy=policy, exceptions=[leave], days=3)
    busy = [Busy(at(8) + timedelta(minutes=5 * m), at(8) + timedelta(minutes=5 * (m + n))) for m, n in
            data.draw(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 6)), max_size=6))]
    now = at(6) + timedelta(minutes=data.draw(st.integers(-24 * 60, 24 * 60)))
    counts = {MONDAY: data.draw(st.integers(0, 3))}
    kw = {"appointment_type": None, "duration_minutes": duration, "urgency": urgency, "seats_per_slot": seats}
    offered = {f.start: f for f in free_slots(slots, busy, now, policy, UTC_TZ, day_counts=counts, **kw)}
    candidates = [s.start for s in slots] + [at(9, 2), leave.start, at(13)]
    for start in candidates:
        try:
            found = check_bookable(slots, busy, now, policy, UTC_TZ, start, day_count=counts.get(start.date(), 0),
                                   blocked=[(leave.start, leave.end)], **kw)
        except SchedulingError:
            assert start not in offered
        else:
            assert offered.get(start) == found


# --- pinned edges (the mutation run, docs/testing.md): exact boundaries and things interacting --------------------


def test_a_start_exactly_at_now_is_bookable_and_a_moment_later_is_past():
    slots = make_slots(morning())
    assert book(slots, at(9), now=at(9)).start == at(9)
    assert starts(free(slots, now=at(9))) == ["09:00", "09:15", "09:30", "09:45"]
    with pytest.raises(InPast) as caught:
        book(slots, at(9), now=at(9) + timedelta(microseconds=1))
    assert (caught.value.code, caught.value.field) == ("in_past", "start")
    assert starts(free(slots, now=at(9) + timedelta(microseconds=1))) == ["09:15", "09:30", "09:45"]


def test_a_start_exactly_at_the_minimum_notice_is_bookable():
    policy = Policy(min_notice_minutes=30)
    slots = make_slots(morning())
    assert book(slots, at(9, 15), now=at(8, 45), policy=policy).start == at(9, 15)
    assert starts(free(slots, now=at(8, 45), policy=policy)) == ["09:15", "09:30", "09:45"]
    with pytest.raises(TooShortNotice) as caught:
        book(slots, at(9), now=at(8, 45), policy=policy)
    assert (caught.value.code, caught.value.field) == ("min_notice", "start")
    assert "30 minutes" in caught.value.message


def test_the_horizon_s_last_day_is_included():
    slots = make_slots(morning())
    now = datetime(2026, 5, 2, 12)  # MONDAY (1 June) is 30 days after 2 May
    assert book(slots, at(9), now=now, policy=Policy(horizon_days=30)).start == at(9)
    assert len(free(slots, now=now, policy=Policy(horizon_days=30))) == 4
    assert free(slots, now=now, policy=Policy(horizon_days=29)) == []
    with pytest.raises(BeyondHorizon) as caught:
        book(slots, at(9), now=now, policy=Policy(horizon_days=29))
    assert (caught.value.code, caught.value.field) == ("beyond_horizon", "start")
    assert "29 days" in caught.value.message


def test_the_daily_limit_counts_up_to_the_limit():
    slots = make_slots(morning())
    policy = Policy(daily_limit=2)
    assert len(free(slots, policy=policy, day_counts={MONDAY: 1})) == 4
    assert free(slots, policy=policy, day_counts={MONDAY: 2}) == []
    assert book(slots, at(9), policy=policy, day_count=1).start == at(9)


def test_an_urgent_hold_is_released_exactly_at_the_release_time():
    policy = Policy(urgent_share=0.5, urgent_release_hours=24)
    slots = make_slots(morning(), policy=policy)
    assert [s.urgent_hold for s in slots] == [False, True, False, True]
    release = at(9, 15) - timedelta(hours=24)
    assert book(slots, at(9, 15), now=release, policy=policy).urgent_hold is True
    assert starts(free(slots, now=release, policy=policy)) == ["09:00", "09:15", "09:30"]
    with pytest.raises(SlotTaken) as caught:
        book(slots, at(9, 15), now=release - timedelta(seconds=1), policy=policy)
    assert (caught.value.code, caught.value.field) == ("slot_taken", "start")
    other = Policy(urgent_share=0.5, urgent_release_hours=2)
    assert starts(free(slots, now=at(7, 15), policy=other)) == ["09:00", "09:15", "09:30"]
    assert starts(free(slots, now=at(7, 14), policy=other)) == ["09:00", "09:30"]


def test_the_urgent_hold_pattern_starts_again_each_day():
    # Three slots a day: an odd count, so a pattern that ran on across midnight would differ on the second day.
    rules = [WeeklyRule(d, time(9), time(9, 45)) for d in (0, 1)]
    half = Policy(urgent_share=0.5)
    assert [s.urgent_hold for s in make_slots(*rules, policy=half, days=2)] == [False, True, False, False, True, False]
    quarter = Policy(urgent_share=0.25)
    assert [s.urgent_hold for s in make_slots(*rules, policy=quarter, days=2)] == [False] * 6
    assert [s.urgent_hold for s in make_slots(morning(), policy=quarter)] == [False, False, False, True]


def test_two_bookings_overlapping_at_one_moment_use_two_seats():
    slots = make_slots(morning())
    busy = [Busy(at(9), at(9, 20)), Busy(at(9, 10), at(9, 30))]
    result = free(slots, busy, duration_minutes=30, seats_per_slot=3)
    assert [(s.start.strftime("%H:%M"), s.seats_left) for s in result] == [("09:00", 1), ("09:15", 1), ("09:30", 3)]
    assert book(slots, at(9), busy=busy, duration_minutes=30, seats_per_slot=3).seats_left == 1
    apart = [Busy(at(9), at(9, 10)), Busy(at(9, 20), at(9, 30))]  # never at the same moment: one seat at a time
    assert book(slots, at(9), busy=apart, duration_minutes=30, seats_per_slot=3).seats_left == 2
    assert free(slots, apart, duration_minutes=30, seats_per_slot=3)[0].seats_left == 2


def test_the_peak_counts_bookings_that_began_before_and_their_seats():
    slots = make_slots(morning())
    busy = [Busy(at(8, 50), at(9, 5), seats=2), Busy(at(9), at(9, 20))]  # both at 09:00-09:05: three seats
    assert book(slots, at(9), busy=busy, duration_minutes=30, seats_per_slot=4).seats_left == 1
    assert free(slots, busy, duration_minutes=30, seats_per_slot=4)[0].seats_left == 1
    later = [Busy(at(9, 20), at(9, 40), seats=2), Busy(at(9, 25), at(10))]  # both at 09:25-09:30 of 09:00-09:30
    assert book(slots, at(9), busy=later, duration_minutes=30, seats_per_slot=4).seats_left == 1
    assert book(slots, at(9), busy=later, seats_per_slot=4).seats_left == 4


def test_a_booking_that_ended_at_the_start_takes_no_seat():
    slots = make_slots(morning())
    busy = [Busy(at(8, 45), at(9)), Busy(at(9, 15), at(9, 30))]
    assert [(s.start.minute, s.seats_left) for s in free(slots, busy)] == [(0, 1), (30, 1), (45, 1)]
    assert book(slots, at(9), busy=busy).seats_left == 1


def test_tokens_subtract_every_overlapping_seat():
    slots = make_slots(morning(kind="tokens", slot_minutes=30, tokens_per_slot=5))
    busy = [Busy(at(9), at(9, 30)), Busy(at(9, 10), at(9, 20), seats=2)]
    assert [(s.start.minute, s.seats_left) for s in free(slots, busy)] == [(0, 2), (30, 5)]
    assert book(slots, at(9), busy=busy).seats_left == 2


def test_no_slot_at_the_start_is_blocked_when_a_slot_length_from_it_touches_the_leave():
    leave = AvailabilityException(at(9, 20), at(9, 30), False)  # takes out the 09:15 slot
    slots = make_slots(morning(), exceptions=[leave])
    with pytest.raises(Blocked) as caught:
        book(slots, at(9, 10), blocked=[(leave.start, leave.end)])  # 09:10 + 15 minutes reaches the leave
    assert (caught.value.code, caught.value.field) == ("blocked", "start")
    late = AvailabilityException(at(9, 58), at(10), False)  # takes out the last slot: the search runs off the end
    slots = make_slots(morning(), exceptions=[late])
    with pytest.raises(Blocked):
        book(slots, at(9, 50), blocked=[(late.start, late.end)])
    with pytest.raises(OutsideHours) as caught:
        book(slots, at(9, 50), blocked=[(at(10, 10), at(10, 20))])
    assert (caught.value.code, caught.value.field) == ("outside_hours", "start")


def test_a_buffer_spaces_the_grid_from_the_rule_s_start():
    policy = Policy(buffer_minutes=10)
    slots = make_slots(morning(slot_minutes=20), policy=policy)
    assert starts(slots) == ["09:00", "09:30"]
    assert [s.end.strftime("%H:%M") for s in slots] == ["09:20", "09:50"]
    assert {(s.capacity, s.window_start) for s in slots} == {(1, at(9))}


def test_not_open_refusals_say_why():
    leave = AvailabilityException(at(9, 30), at(9, 45), False)
    slots = make_slots(morning(), exceptions=[leave])
    with pytest.raises(Blocked) as caught:
        book(slots, at(9, 30), blocked=[(leave.start, leave.end)])
    assert caught.value.message == "The doctor is not available at that time."
    with pytest.raises(OutsideHours) as caught:
        book(slots, at(9, 5))
    assert caught.value.message == "No appointment starts at that time."
    with pytest.raises(OutsideHours) as caught:
        book(slots, at(9, 15), duration_minutes=30)
    assert caught.value.message == "The appointment would run past the end of the session."


def test_a_missing_start_is_measured_by_the_next_slot_s_length():
    # 15-minute slots until 10:00, then one 30-minute slot: the length checked against the leave is the slot's own
    slots = make_slots(morning(), WeeklyRule(0, time(10), time(10, 30), slot_minutes=30))
    with pytest.raises(OutsideHours):
        book(slots, at(9, 5), blocked=[(at(9, 25), at(9, 30))])  # 09:05 + 15 minutes stops short of the leave
    with pytest.raises(Blocked):
        book(slots, at(9, 50), blocked=[(at(10, 15), at(10, 20))])  # the next slot lasts 30 minutes
    with pytest.raises(Blocked):
        book(slots, at(10, 40), blocked=[(at(11, 5), at(11, 10))])  # after the last slot: its 30 minutes
    with pytest.raises(OutsideHours):
        book(slots, at(10, 40), blocked=[(at(11, 10), at(11, 15))])


def test_defaults_book_a_routine_request_with_nothing_booked_that_day():
    slots = make_slots(morning())
    assert book(slots, at(9), policy=Policy(daily_limit=1)).start == at(9)


def test_the_horizon_counts_local_days():
    slots = make_slots(morning())
    now = datetime(2026, 5, 2, 23, 30)  # already 3 May in London (summer time), so 1 June is 29 days ahead
    found = check_bookable(slots, [], now, Policy(horizon_days=29), LONDON, at(9))
    assert found.start == at(9)
    assert [f.start for f in free_slots(slots, [], now, Policy(horizon_days=29), LONDON)][:1] == [at(9)]


def test_an_empty_busy_interval_takes_no_seat():
    assert [(s.start.minute, s.seats_left) for s in free(make_slots(morning()), [Busy(at(9, 5), at(9, 5))])] == [
        (0, 1), (15, 1), (30, 1), (45, 1)]


def test_a_slots_rule_seats_one_whatever_its_token_count():
    assert {s.capacity for s in make_slots(morning(tokens_per_slot=3))} == {1}
    assert {s.capacity for s in make_slots(morning(kind="tokens", tokens_per_slot=3))} == {3}


def test_a_window_without_slots_does_not_stop_the_others():
    empty = Window(at(8), at(9), MONDAY, WeeklyRule(0, time(8), time(9), slot_minutes=0))
    full = Window(at(9), at(9, 30), MONDAY, morning())
    assert starts(generate_slots([empty, full], UTC_TZ, Policy())) == ["09:00", "09:15"]


def test_a_window_without_origin_aligns_to_the_rule_s_local_start():
    berlin = ZoneInfo("Europe/Berlin")  # the 09:00 rule starts at 07:00 UTC in summer
    window = Window(at(7, 5), at(8), MONDAY, WeeklyRule(0, time(9), time(10), slot_minutes=25))
    assert starts(generate_slots([window], berlin, Policy())) == ["07:25"]


def test_added_time_after_midnight_keeps_the_grid_of_the_evening_before():
    extra = AvailabilityException(datetime(2026, 5, 31, 22, 10), datetime(2026, 6, 1, 1), True)
    windows = expand_windows([], [extra], UTC_TZ, date(2026, 5, 31), MONDAY)
    slots = generate_slots(windows, UTC_TZ, Policy())
    assert starts(slots) == ["22:10", "22:25", "22:40", "22:55", "23:10", "23:25", "23:40",
                             "00:10", "00:25", "00:40"]  # 23:55 would cross midnight: no slot
    assert [s.local_date for s in slots] == [date(2026, 5, 31)] * 7 + [MONDAY] * 3


def test_the_horizon_compares_the_start_s_local_day():
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 6, 1, 10)  # 1 June in Berlin: a one-day horizon ends with 2 June
    late_evening = datetime(2026, 6, 2, 22, 30)  # still 2 June in UTC, already 3 June 00:30 in Berlin
    with pytest.raises(BeyondHorizon):
        check_bookable([], [], now, Policy(horizon_days=1), berlin, late_evening)
    with pytest.raises(OutsideHours):
        check_bookable([], [], now, Policy(horizon_days=1), berlin, datetime(2026, 6, 2, 21, 30))
