"""Property tests across availability and slots: hours, leave, busy intervals and DST never leak into free slots."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling.availability import AvailabilityException, Policy, Schedule, WeeklyRule, expand_windows
from app.scheduling.slots import Busy, free_slots, generate_slots
from app.scheduling.timeutil import overlaps, to_local, to_utc

ZONES = [ZoneInfo(name) for name in ("Europe/London", "Europe/Berlin", "America/New_York", "UTC")]
# Weeks that contain a DST change in London and Berlin (29 March and 25 October 2026) and New York (8 March).
FIRST_DAYS = [date(2026, 3, 26), date(2026, 10, 22), date(2026, 3, 5), date(2026, 6, 10)]


@st.composite
def weekly_rules(draw, earliest=0, latest=24 * 12 - 1):
    """Non-overlapping rules on 5-minute boundaries between cell ``earliest`` and cell ``latest`` of the day."""
    rules = []
    for _ in range(draw(st.integers(1, 8))):
        weekday = draw(st.integers(0, 6))
        start = draw(st.integers(earliest, latest - 1))
        end = min(start + draw(st.integers(1, 60)), latest)
        slot_minutes = draw(st.sampled_from([5, 10, 15, 20, 30, 45]))
        candidate = WeeklyRule(weekday, _time(start), _time(end), draw(st.sampled_from(["slots", "tokens"])),
                               slot_minutes, draw(st.integers(1, 3)))
        if not any(r.weekday == weekday and r.start < candidate.end and candidate.start < r.end for r in rules):
            rules.append(candidate)
    return rules


def _steady(tz, day):
    """Tell whether the UTC offset of ``tz`` stays the same all through the local ``day``."""
    return to_utc(day, time(0), tz) + timedelta(days=1) == to_utc(day + timedelta(days=1), time(0), tz)


def _time(cell):
    return time(cell // 12, cell % 12 * 5)


def _intervals(draw, base, count, max_minutes):
    result = []
    for _ in range(draw(st.integers(0, count))):
        start = base + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
        result.append((start, start + timedelta(minutes=draw(st.integers(1, max_minutes)))))
    return result


def _expand(rules, exceptions, tz, first_day, policy, days=7):
    schedule = Schedule(first_day - timedelta(days=30), None, tuple(rules), policy)
    windows = expand_windows([schedule], exceptions, tz, first_day, first_day + timedelta(days=days - 1))
    return generate_slots(windows, tz, policy)


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    tz=st.sampled_from(ZONES),
    first_day=st.sampled_from(FIRST_DAYS),
    buffer=st.sampled_from([0, 5, 10]),
    duration=st.sampled_from([None, 25, 60]),
)
def test_property_free_slots_stay_inside_rules_and_outside_leave(data, tz, first_day, buffer, duration):
    rules = data.draw(weekly_rules())
    base = datetime.combine(first_day, time(0)) - timedelta(hours=14)
    leave = [AvailabilityException(s, e, False) for s, e in _intervals(data.draw, base, 4, 600)]
    policy = Policy(horizon_days=30, buffer_minutes=buffer)
    slots = _expand(rules, leave, tz, first_day, policy)
    result = free_slots(slots, [], base, policy, tz, duration_minutes=duration, seats_per_slot=1)
    assert len(result) >= (len(slots) if duration is None else 0)
    for slot in result:
        day = slot.local_date
        assert to_local(slot.start, tz).date() == day
        day_rules = [r for r in rules if r.weekday == day.weekday()]
        # Inside the rule's hours as instants: on a DST night a wall-clock edge inside the skipped or repeated
        # hour maps through to_utc (first valid instant, first occurrence), so compare instants, not wall times.
        assert any(to_utc(day, r.start, tz) <= slot.start and slot.end <= to_utc(day, r.end, tz) for r in day_rules)
        if _steady(tz, day):
            start, end = to_local(slot.start, tz).time(), to_local(slot.end, tz).time()
            assert any(r.start <= start and end <= r.end for r in day_rules)
        assert not any(overlaps(slot.start, slot.end, e.start, e.end) for e in leave)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), tz=st.sampled_from(ZONES), first_day=st.sampled_from(FIRST_DAYS),
       duration=st.sampled_from([None, 30, 50]))
def test_property_a_free_slot_never_overlaps_a_busy_interval(data, tz, first_day, duration):
    rules = [WeeklyRule(r.weekday, r.start, r.end, "slots", r.slot_minutes) for r in data.draw(weekly_rules())]
    policy = Policy(horizon_days=30)
    slots = _expand(rules, [], tz, first_day, policy)
    base = datetime.combine(first_day, time(0)) - timedelta(hours=14)
    busy = [Busy(s, e) for s, e in _intervals(data.draw, base, 30, 120)]
    if slots and data.draw(st.booleans()):  # also hit slot edges exactly
        busy += [Busy(s.start, s.end) for s in data.draw(st.lists(st.sampled_from(slots), max_size=10))]
    result = free_slots(slots, busy, base, policy, tz, duration_minutes=duration, seats_per_slot=1)
    for slot in result:
        assert slot.kind == "slots" and slot.seats_left == 1
        assert not any(overlaps(slot.start, slot.end, b.start, b.end) for b in busy)
    taken = {s.start for s in slots if any(overlaps(s.start, s.end, b.start, b.end) for b in busy)}
    if duration is None:
        assert {s.start for s in result} == {s.start for s in slots} - taken


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    tz=st.sampled_from(ZONES[:2]),
    change=st.sampled_from([date(2026, 3, 29), date(2026, 10, 25)]),
    buffer=st.sampled_from([0, 5]),
)
def test_property_wall_clock_slots_are_the_same_on_both_sides_of_dst(data, tz, change, buffer):
    # Rules keep clear of 01:00-04:00, the hours that the change itself skips or repeats on the Sunday.
    rules = data.draw(weekly_rules(earliest=4 * 12))
    policy = Policy(buffer_minutes=buffer)
    first_day = change - timedelta(days=change.weekday() + 7)  # the Monday a week before the change
    slots = _expand(rules, [], tz, first_day, policy, days=14)
    by_day = defaultdict(list)
    for slot in slots:
        start, end = to_local(slot.start, tz), to_local(slot.end, tz)
        by_day[slot.local_date].append((start.time(), end.time()))
    for day in (first_day + timedelta(days=i) for i in range(7)):
        assert by_day[day] == by_day[day + timedelta(days=7)]
    # And the wall times are exactly the rule grid, whatever the UTC offset of that week.
    for rule in rules:
        length, step = timedelta(minutes=rule.slot_minutes), timedelta(minutes=rule.slot_minutes + buffer)
        expected, cursor = [], datetime.combine(first_day, rule.start)
        while cursor + length <= datetime.combine(first_day, rule.end):
            expected.append((cursor.time(), (cursor + length).time()))
            cursor += step
        day = first_day + timedelta(days=rule.weekday)
        assert [pair for pair in by_day[day] if rule.start <= pair[0] < rule.end] == expected
