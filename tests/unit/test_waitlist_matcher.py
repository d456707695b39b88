"""Unit tests for app.scheduling.waitlist: eligibility, the ranking table and its invariants."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling.waitlist import (
    GAIN_CAP,
    LATE_RELEASE_HOURS,
    LATE_RELEASE_RESERVE,
    OFFICE_HOURS_PER_DAY,
    URGENT_POINTS,
    URGENT_WINDOW_HOURS,
    FreedSlot,
    Waiting,
    day_reserve,
    distance_km,
    early_release,
    in_urgent_window,
    late_release,
    rank,
    score,
    time_of_day,
    urgent_reserve,
    why_not,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 2, 27, 8, 0)  # four days ahead of START: outside the urgent window
START = datetime(2026, 3, 3, 9, 0)  # 09:00 London (winter: UTC)
SLOT = FreedSlot(doctor_id=1, hospital_id=10, start=START, end=START + timedelta(minutes=15), tz=LONDON,
                 specialty_id=5, position=(51.5, -0.12), type_minutes={"new": 15, "long": 45})


def waiting(entry_id: int = 1, **kw) -> Waiting:
    values = dict(entry_id=entry_id, patient_id=100 + entry_id, latest=date(2026, 3, 10), created_at=NOW,
                  specialty_id=5)
    values.update(kw)
    return Waiting(**values)


@pytest.mark.parametrize(("change", "reason"), [
    ({"specialty_id": 6}, "another specialty"),
    ({"doctor_id": 2}, "another doctor"),
    ({"hospital_ids": frozenset({11})}, "other hospitals"),
    ({"near": (52.52, 13.4), "radius_km": 50}, "beyond 50 km"),
    ({"latest": date(2026, 3, 2)}, "after the latest date"),
    ({"times_of_day": frozenset({"afternoon", "evening"})}, "time of day"),
    ({"appointment_type": "long"}, "too short"),
    ({"current_start": START}, "not earlier"),
])
def test_each_rule_excludes_with_its_reason(change, reason):
    assert why_not(SLOT, waiting(), NOW) is None
    assert reason in why_not(SLOT, waiting(**change), NOW)


def test_a_named_doctor_matches_whatever_the_specialty():
    assert why_not(SLOT, waiting(doctor_id=1, specialty_id=None), NOW) is None
    assert why_not(SLOT, waiting(specialty_id=None), NOW) == "waits for another specialty"


def test_slot_types_and_urgent_hold_back():
    typed = FreedSlot(**{**SLOT.__dict__, "appointment_types": frozenset({"followup"})})
    assert "does not take" in why_not(typed, waiting(appointment_type="new"), NOW)
    assert why_not(typed, waiting(), NOW) is None  # no type wished: any slot
    urgent_only = FreedSlot(**{**SLOT.__dict__, "urgent_only": True})
    assert "urgent" in why_not(urgent_only, waiting(), NOW)
    assert why_not(urgent_only, waiting(urgency="urgent"), NOW) is None


def test_the_urgent_window_is_48_hours():
    assert URGENT_WINDOW_HOURS == 48
    assert in_urgent_window(START, START - timedelta(hours=47, minutes=59))
    assert not in_urgent_window(START, START - timedelta(hours=48))  # exactly 48 h ahead: everyone
    assert in_urgent_window(START, START - timedelta(hours=71), hours=72)


@pytest.mark.parametrize("hours_ahead", [0.5, 20, 47.9])
def test_a_slot_inside_the_urgent_window_goes_to_urgent_entries_only(hours_ahead):
    now = START - timedelta(hours=hours_ahead)
    reason = why_not(SLOT, waiting(created_at=now), now)
    assert reason is not None and "kept for urgent cases" in reason and "48 hours" in reason
    assert why_not(SLOT, waiting(urgency="urgent", created_at=now), now) is None
    routine = [waiting(i, created_at=now - timedelta(days=300)) for i in range(1, 5)]
    assert rank(SLOT, routine, now) == []  # nobody: the service makes no hold, the slot stays on sale
    ranked = rank(SLOT, [*routine, waiting(9, urgency="urgent", created_at=now)], now)
    assert [m.waiting.entry_id for m in ranked] == [9]


def test_routine_entries_still_get_slots_freed_earlier():
    now = START - timedelta(hours=48)
    assert why_not(SLOT, waiting(created_at=now), now) is None
    assert [m.waiting.entry_id for m in rank(SLOT, [waiting(1, created_at=now)], now)] == [1]


def test_the_window_may_be_set_per_slot():
    now = START - timedelta(hours=30)
    shorter = FreedSlot(**{**SLOT.__dict__, "urgent_window_hours": 24})
    assert why_not(shorter, waiting(created_at=now), now) is None
    assert "72 hours" in why_not(FreedSlot(**{**SLOT.__dict__, "urgent_window_hours": 72}),
                                 waiting(created_at=now - timedelta(days=40)), START - timedelta(hours=60))


@settings(max_examples=200, deadline=None)
@given(hours=st.floats(min_value=0.01, max_value=24 * 30), urgent=st.booleans())
def test_eligibility_inside_and_outside_the_window(hours, urgent):
    now = START - timedelta(hours=hours)
    entry = waiting(urgency="urgent" if urgent else "routine", created_at=now)
    assert (why_not(SLOT, entry, now) is None) == (urgent or hours >= URGENT_WINDOW_HOURS)


def test_started_slots_are_never_offered():
    assert why_not(SLOT, waiting(), START) == "the slot has started"


def test_times_of_day_use_the_local_wall_clock():
    berlin = ZoneInfo("Europe/Berlin")
    assert time_of_day(datetime(2026, 3, 3, 10, 59), berlin) == "morning"  # 11:59 local
    assert time_of_day(datetime(2026, 3, 3, 11, 0), berlin) == "afternoon"  # 12:00 local
    assert time_of_day(datetime(2026, 3, 3, 15, 59), berlin) == "afternoon"
    assert time_of_day(datetime(2026, 3, 3, 16, 0), berlin) == "evening"  # 17:00 local
    assert time_of_day(datetime(2026, 7, 3, 22, 59), LONDON) == "evening"  # 23:59 BST


def test_the_slot_s_local_date_is_compared_with_latest():
    # 23:30 UTC on 3 March is already 4 March in Berlin
    late = FreedSlot(**{**SLOT.__dict__, "start": datetime(2026, 3, 3, 23, 30), "end": datetime(2026, 3, 3, 23, 45),
                        "tz": ZoneInfo("Europe/Berlin")})
    assert why_not(late, waiting(latest=date(2026, 3, 3)), NOW) == "the slot is after the latest date"
    assert why_not(late, waiting(latest=date(2026, 3, 4)), NOW) is None


def test_ranking_follows_the_table():
    urgent_new = waiting(1, urgency="urgent", created_at=NOW)
    old_routine = waiting(2, created_at=NOW - timedelta(days=100))
    gains_little = waiting(3, created_at=NOW - timedelta(days=100), current_start=START + timedelta(days=2))
    far_away = waiting(4, created_at=NOW - timedelta(days=100), near=(52.2, 0.12))  # Cambridge, ~80 km
    ranked = rank(SLOT, [far_away, gains_little, old_routine, urgent_new], NOW)
    assert [m.waiting.entry_id for m in ranked] == [1, 2, 4, 3]
    assert ranked[0].score >= URGENT_POINTS
    assert "urgent" in ranked[0].reasons and "waiting 100 days" in ranked[1].reasons
    assert "no booking yet" in ranked[1].reasons and "2 days earlier than the current booking" in ranked[3].reasons
    assert any(r.endswith("km away") for r in ranked[2].reasons)


def test_one_match_per_patient_limit_and_exclusions():
    twice = [waiting(1, patient_id=7), waiting(2, patient_id=7, doctor_id=1, created_at=NOW - timedelta(days=3))]
    ranked = rank(SLOT, twice, NOW)
    assert [m.waiting.entry_id for m in ranked] == [2]  # the patient's better entry only
    many = [waiting(i, created_at=NOW - timedelta(days=i)) for i in range(1, 8)]
    assert [m.waiting.entry_id for m in rank(SLOT, many, NOW, limit=3)] == [7, 6, 5]
    assert 107 not in {m.waiting.patient_id for m in rank(SLOT, many, NOW, exclude_patients={107})}


def test_ties_go_to_the_earlier_entry():
    ranked = rank(SLOT, [waiting(2), waiting(1)], NOW)
    assert [m.waiting.entry_id for m in ranked] == [1, 2]


def test_haversine_matches_a_known_distance():
    assert distance_km((51.5074, -0.1278), (48.8566, 2.3522)) == pytest.approx(343.5, abs=1.0)
    assert distance_km((51.5, -0.12), (51.5, -0.12)) == 0.0


days = st.floats(min_value=0, max_value=2000, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(waited_a=days, waited_b=days, gain_b=st.floats(min_value=0.01, max_value=500), km=st.floats(0, 2000))
def test_urgent_always_outranks_routine(waited_a, waited_b, gain_b, km):
    urgent = waiting(1, urgency="urgent", created_at=NOW - timedelta(days=waited_a),
                     current_start=START + timedelta(days=0.001), near=(51.5 + km / 111, -0.12))
    routine = waiting(2, created_at=NOW - timedelta(days=waited_b), current_start=START + timedelta(days=gain_b))
    ranked = rank(SLOT, [routine, urgent], NOW)
    assert [m.waiting.entry_id for m in ranked] == [1, 2]


@settings(max_examples=200, deadline=None)
@given(waited=days, more=st.floats(min_value=0.01, max_value=300), gain=st.one_of(st.none(), days))
def test_waiting_longer_never_ranks_lower(waited, more, gain):
    current = None if gain is None else START + timedelta(days=gain + 0.001)
    shorter = waiting(1, created_at=NOW - timedelta(days=waited), current_start=current)
    longer = waiting(2, created_at=NOW - timedelta(days=waited + more), current_start=current)
    assert score(SLOT, longer, NOW).score >= score(SLOT, shorter, NOW).score


@settings(max_examples=200, deadline=None)
@given(gain=st.floats(min_value=0.001, max_value=1000))
def test_nothing_booked_is_at_least_any_gain(gain):
    none = score(SLOT, waiting(1), NOW).score
    some = score(SLOT, waiting(2, current_start=START + timedelta(days=gain)), NOW).score
    assert none >= some and none - score(SLOT, waiting(3, current_start=START + timedelta(days=gain)), NOW).score \
        <= GAIN_CAP


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["routine", "urgent"]), days), max_size=12))
def test_rank_is_sorted_and_holds_only_eligible(items):
    entries = [waiting(i + 1, patient_id=p, urgency=u, created_at=NOW - timedelta(days=d),
                       specialty_id=5 if i % 3 else 6) for i, (p, u, d) in enumerate(items)]
    ranked = rank(SLOT, entries, NOW)
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)
    assert all(why_not(SLOT, m.waiting, NOW) is None for m in ranked)
    assert len({m.waiting.patient_id for m in ranked}) == len(ranked)
    eligible_patients = {e.patient_id for e in entries if why_not(SLOT, e, NOW) is None}
    assert {m.waiting.patient_id for m in ranked} == eligible_patients


# --- the late release ---

def test_late_release_is_three_hours_with_a_reserve_of_twice_the_expected_urgent_requests():
    assert LATE_RELEASE_HOURS == 3 and LATE_RELEASE_RESERVE == 2.0
    now = START - timedelta(hours=3)
    assert urgent_reserve(0.0, START, now) == 1  # even with no urgent demand seen, one other slot stays free
    assert urgent_reserve(2.0, START, now) == 12  # 2 per hour x 3 hours expected, twice over
    assert urgent_reserve(2.0, START, START - timedelta(hours=1)) == 4  # fewer expected as the start nears


@pytest.mark.parametrize(("hours", "spare", "rate", "released"), [
    (3, 12, 2.0, True),  # at the release moment, the reserve kept
    (3, 11, 2.0, False),  # the reserve would be broken
    (3.01, 100, 0.0, False),  # not yet near enough
    (0.5, 1, 0.0, True),
    (0.5, 0, 0.0, False),  # the last free slot: an urgent request asking now would find nothing
    (0, 100, 0.0, False),  # started
])
def test_late_release_needs_the_time_and_the_reserve(hours, spare, rate, released):
    assert late_release(START, START - timedelta(hours=hours), spare, rate) is released


def test_a_late_released_slot_goes_to_routine_entries_within_three_hours_only():
    routine, urgent = waiting(1), waiting(2, urgency="urgent")
    late = replace(SLOT, late_release=True)
    for hours, eligible in ((2, True), (LATE_RELEASE_HOURS, True), (3.5, False), (20, False)):
        now = START - timedelta(hours=hours)
        assert (why_not(late, routine, now) is None) is eligible
        assert why_not(late, urgent, now) is None
        assert "kept for urgent cases" in why_not(SLOT, routine, now)  # without the service's release
    ranked = rank(late, [routine, urgent], START - timedelta(hours=2))
    assert [m.waiting.entry_id for m in ranked] == [2, 1]  # urgent still first
    held_back = replace(SLOT, late_release=True, urgent_only=True)  # the schedule's urgent hold-back still rules
    assert why_not(held_back, routine, START - timedelta(hours=2)) == "the slot is held for urgent cases"


# --- pinned edges, weights written out, the radius (the mutation run, docs/testing.md) ----------------------------

NEAR = (51.6, -0.12)  # 11.12 km north of the slot's hospital


def test_a_patient_inside_their_radius_is_accepted_and_outside_refused():
    assert why_not(SLOT, waiting(near=NEAR, radius_km=12), NOW) is None
    assert why_not(SLOT, waiting(near=NEAR, radius_km=11), NOW) == "the hospital is 11 km away, beyond 11 km"
    assert why_not(SLOT, waiting(near=SLOT.position, radius_km=0), NOW) is None  # at the edge: inside
    assert why_not(SLOT, waiting(radius_km=1), NOW) is None  # no place known: the radius cannot refuse
    assert why_not(replace(SLOT, position=None), waiting(near=NEAR, radius_km=1), NOW) is None
    assert [m.waiting.entry_id for m in rank(SLOT, [waiting(1, near=NEAR, radius_km=12)], NOW)] == [1]


def test_the_weights_written_out():
    routine = score(SLOT, waiting(), NOW)
    assert (routine.score, routine.reasons, routine.distance_km) == (45.0, ("waiting less than a day",
                                                                            "no booking yet"), None)
    near = score(SLOT, waiting(near=NEAR, created_at=NOW - timedelta(days=1, hours=12)), NOW)
    assert near.score == 43.72  # 1.5 days waited + 45 for no booking - 0.25 x 11.12 km
    assert near.reasons == ("waiting 1 day", "no booking yet", "11.1 km away")
    assert near.distance_km == pytest.approx(11.119, abs=0.001)
    moving = waiting(urgency="urgent", created_at=NOW - timedelta(days=10), current_start=START + timedelta(days=20))
    assert score(SLOT, moving, NOW).score == 1020.0  # 1000 urgent + 10 days waited + 0.5 x 20 days earlier
    assert score(SLOT, moving, NOW).reasons == ("urgent", "waiting 10 days", "20 days earlier than the current booking")


def test_the_caps_written_out():
    far = (53.5, -0.12)  # 222 km: the distance term stops at -25
    capped = waiting(created_at=NOW - timedelta(days=400), current_start=START + timedelta(days=100), near=far)
    assert score(SLOT, capped, NOW).score == 385.0  # 365 + 45 - 25
    assert score(SLOT, waiting(current_start=START), NOW).score == 0.0  # no gain, nothing waited
    assert score(SLOT, waiting(created_at=NOW + timedelta(days=1)), NOW).score == 45.0  # a clock behind: 0 waited


def test_a_patient_s_better_entry_wins_in_either_order():
    better = waiting(1, patient_id=7, created_at=NOW - timedelta(days=30))
    worse = waiting(2, patient_id=7, created_at=NOW - timedelta(days=2))
    other = waiting(3, patient_id=8, created_at=NOW - timedelta(days=10))
    for entries in ([better, worse, other], [worse, better, other], [other, better, worse]):
        ranked = rank(SLOT, entries, NOW)
        assert [(m.waiting.entry_id, m.score) for m in ranked] == [(1, 75.0), (3, 55.0)]


def test_a_slot_starting_exactly_now_has_started():
    assert why_not(SLOT, waiting(), START) == "the slot has started"
    assert why_not(SLOT, waiting(urgency="urgent"), START - timedelta(seconds=1)) is None


def test_the_urgent_window_edge_is_outside_it():
    assert in_urgent_window(START, START - timedelta(hours=48)) is False
    assert in_urgent_window(START, START - timedelta(hours=48) + timedelta(seconds=1)) is True
    assert why_not(SLOT, waiting(), START - timedelta(hours=48)) is None
    assert why_not(SLOT, waiting(), START - timedelta(hours=47)) == ("the slot is less than 48 hours ahead: "
                                                                    "kept for urgent cases")
    six = replace(SLOT, urgent_window_hours=6)
    assert why_not(six, waiting(), START - timedelta(hours=6)) is None
    assert "less than 6 hours" in why_not(six, waiting(), START - timedelta(hours=5))


def test_the_late_release_edges():
    assert late_release(START, START - timedelta(hours=3), spare=5, urgent_per_hour=0.0) is True
    assert late_release(START, START - timedelta(hours=3, seconds=1), spare=5, urgent_per_hour=0.0) is False
    assert late_release(START, START, spare=5, urgent_per_hour=0.0) is False
    assert late_release(START, START - timedelta(hours=4), spare=5, urgent_per_hour=0.0, hours=4) is True
    released = replace(SLOT, late_release=True)
    assert why_not(released, waiting(), START - timedelta(hours=3)) is None
    assert "kept for urgent cases" in why_not(released, waiting(), START - timedelta(hours=3, seconds=1))


def test_the_urgent_reserve_written_out():
    assert urgent_reserve(1.5, START, START - timedelta(hours=2)) == 6  # 2 x 1.5 an hour x 2 hours
    assert urgent_reserve(0.3, START, START - timedelta(hours=2)) == 2  # 1.2 rounded up
    assert urgent_reserve(0.5, START, START - timedelta(hours=3)) == 3
    assert urgent_reserve(2.0, START, START) == 1  # at least one
    assert urgent_reserve(2.0, START, START + timedelta(hours=1)) == 1
    assert late_release(START, START - timedelta(hours=2), spare=6, urgent_per_hour=1.5) is True
    assert late_release(START, START - timedelta(hours=2), spare=5, urgent_per_hour=1.5) is False


def test_edges_of_date_time_of_day_type_and_current_booking():
    assert why_not(SLOT, waiting(latest=date(2026, 3, 3)), NOW) is None  # the slot's own day is still in time
    assert time_of_day(datetime(2026, 3, 3, 12), LONDON) == "afternoon"
    assert time_of_day(datetime(2026, 3, 3, 11, 59), LONDON) == "morning"
    assert time_of_day(datetime(2026, 3, 3, 17), LONDON) == "evening"
    assert time_of_day(datetime(2026, 3, 3, 16, 59), LONDON) == "afternoon"
    assert why_not(SLOT, waiting(appointment_type="new"), NOW) is None  # 15 minutes fit a 15-minute slot exactly
    assert why_not(SLOT, waiting(appointment_type="other"), NOW) is None  # unknown length, any type: no refusal
    typed = replace(SLOT, appointment_types=frozenset({"new"}))
    assert why_not(typed, waiting(appointment_type="long"), NOW) == "the slot does not take that type of appointment"
    assert why_not(SLOT, waiting(current_start=START + timedelta(minutes=1)), NOW) is None
    assert why_not(SLOT, waiting(specialty_id=None), NOW) == "waits for another specialty"
    assert why_not(SLOT, waiting(hospital_ids=frozenset({10, 11})), NOW) is None
    held = replace(SLOT, urgent_only=True)
    assert why_not(held, waiting(urgency="urgent"), NOW) is None
    assert why_not(held, waiting(), NOW) == "the slot is held for urgent cases"


def test_each_reason_written_out():
    assert why_not(SLOT, waiting(doctor_id=2), NOW) == "waits for another doctor"
    assert why_not(SLOT, waiting(hospital_ids=frozenset({11})), NOW) == "waits for other hospitals"
    assert why_not(SLOT, waiting(times_of_day=frozenset({"evening"})), NOW) == "not at a time of day that suits"
    assert why_not(SLOT, waiting(appointment_type="long"), NOW) == "the slot is too short for that type of appointment"
    assert why_not(SLOT, waiting(latest=date(2026, 3, 2)), NOW) == "the slot is after the latest date"
    assert why_not(SLOT, waiting(current_start=START), NOW) == "not earlier than the current booking"


def test_the_time_of_day_is_the_slot_s_own_wall_clock():
    berlin = replace(SLOT, start=datetime(2026, 3, 3, 11, 30), end=datetime(2026, 3, 3, 11, 45),
                     tz=ZoneInfo("Europe/Berlin"))  # 12:30 in Berlin, 11:30 UTC
    assert why_not(berlin, waiting(times_of_day=frozenset({"afternoon"})), NOW) is None
    assert why_not(berlin, waiting(times_of_day=frozenset({"morning"})), NOW) == "not at a time of day that suits"


# --- the early release and the cap on open offers ---

def test_the_day_reserve_is_twice_a_day_of_urgent_requests():
    assert OFFICE_HOURS_PER_DAY == 9
    assert day_reserve(0.0) == 1  # no urgent demand seen: one other free slot still stays
    assert day_reserve(0.5) == 9  # 4.5 a day, twice over
    assert day_reserve(1 / 9) == 2  # exactly one a day: two, not three for float noise


@pytest.mark.parametrize(("urgent_waiting", "spare", "rate", "released"), [
    (False, 1, 0.0, True),
    (False, 0, 0.0, False),  # the day's last free slot is its reserve
    (True, 100, 0.0, False),  # someone urgent waits: they come first
    (False, 9, 0.5, True),
    (False, 8, 0.5, False),
])
def test_early_release_needs_nobody_urgent_waiting_and_the_day_s_reserve(urgent_waiting, spare, rate, released):
    assert early_release(urgent_waiting, spare, rate) is released


def test_an_early_released_slot_goes_to_routine_entries_anywhere_in_the_window():
    routine, urgent = waiting(1), waiting(2, urgency="urgent")
    early = replace(SLOT, early_release=True)
    for hours in (1, 3.5, 20, 47.9):
        now = START - timedelta(hours=hours)
        assert why_not(early, routine, now) is None and why_not(early, urgent, now) is None
        assert "kept for urgent cases" in why_not(SLOT, routine, now)
    held = replace(early, urgent_only=True)  # the schedule's own hold-back still applies
    assert "held for urgent cases" in why_not(held, routine, START - timedelta(hours=20))


def test_a_patient_at_the_cap_of_open_offers_is_passed_over():
    entries = [waiting(1), waiting(2), waiting(3)]
    assert [m.waiting.entry_id for m in rank(SLOT, entries, NOW, limit=2)] == [1, 2]
    capped = rank(SLOT, entries, NOW, limit=2, open_offers={101: 2, 102: 1}, max_open_offers=2)
    assert [m.waiting.entry_id for m in capped] == [2, 3]  # the slot goes to the next patients
    assert [m.waiting.entry_id for m in rank(SLOT, entries, NOW, open_offers={101: 5})] == [1, 2, 3]  # no cap set
    assert rank(SLOT, entries, NOW, open_offers={101: 1, 102: 1, 103: 1}, max_open_offers=1) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 3)), min_size=1, max_size=12), st.integers(1, 3),
       st.integers(1, 4), st.integers(1, 30))
def test_property_offers_never_take_a_patient_over_the_cap(entries, cap, batch, slots):
    """Slot after slot offered in turn, as the short-notice job does: nobody ever holds more than ``cap``."""
    held: dict[int, int] = {}
    for patient, already in entries:
        held.setdefault(patient, min(already, cap))
    waiting_list = [waiting(i + 1, patient_id=patient) for i, (patient, _) in enumerate(entries)]
    for n in range(slots):
        slot = replace(SLOT, start=START + timedelta(minutes=15 * n), end=START + timedelta(minutes=15 * (n + 1)))
        before = dict(held)
        for match in rank(slot, waiting_list, NOW, limit=batch, open_offers=held, max_open_offers=cap):
            held[match.waiting.patient_id] = held.get(match.waiting.patient_id, 0) + 1
        assert all(count <= cap for count in held.values())
        # a patient under the cap is passed over only when the batch is full
        skipped = {p for p in before if before[p] < cap and held[p] == before[p]}
        assert not skipped or sum(held[p] - before[p] for p in held) == batch
