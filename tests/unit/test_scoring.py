"""Best fit (issue #16, part 5): each part of the quality score and their weighted mean, with the values written
out; the ranking "best for you"; the weights refused when unusable; the old entry points still working."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.scheduling import (
    DayBooking,
    FitWeights,
    PatientWishes,
    SlotCandidate,
    WeightsInvalid,
    best_suggestions,
    fit_slot,
    rank_slots,
    score_slot,
)
from app.scheduling.slots import Busy, FreeSlot

BERLIN = ZoneInfo("Europe/Berlin")  # two hours ahead of UTC in June
NOW = datetime(2026, 6, 1, 6)


def slot(day=2, hour=8, minute=0, length=15):
    start = datetime(2026, 6, day, hour, minute)  # UTC
    return FreeSlot(start, start + timedelta(minutes=length), date(2026, 6, day), "slots", 1, False)


def at(day, hour, minute=0, length=15, room=None):
    start = datetime(2026, 6, day, hour, minute)
    return DayBooking(start, start + timedelta(minutes=length), room)


def parts(f):
    return (f.preference, f.compactness, f.room, f.overbooking)


def test_the_default_weights_are_40_35_15_10():
    w = FitWeights()
    assert (w.preference, w.compactness, w.room, w.overbooking) == (0.40, 0.35, 0.15, 0.10)


def test_a_slot_with_no_wish_and_no_context_scores_0_825():
    f = fit_slot(SlotCandidate(slot()), tz=BERLIN)
    # no wish stated: 1; the doctor's empty day: 0.5; no room change: 1; a regular seat: 1
    assert parts(f) == (1.0, 0.5, 1.0, 1.0)
    assert f.score == pytest.approx(0.825)  # 0.4 x 1 + 0.35 x 0.5 + 0.15 x 1 + 0.1 x 1


def test_preference_is_the_mean_of_the_stated_wishes():
    home, ten_km_north = (52.52, 13.40), (52.61, 13.40)  # 0.09 degrees of latitude: 10.0075 km
    c = SlotCandidate(slot(hour=8), hospital_id=1, position=ten_km_north)  # 10:00 in Berlin: morning
    evening = PatientWishes(times_of_day=frozenset({"evening"}), hospital_ids=frozenset({1}), home=home, radius_km=20)
    # time of day 0 (morning, not evening), hospital 1 (chosen), distance 1 - 10.0075 / 20 = 0.4996
    assert fit_slot(c, tz=BERLIN, prefs=evening).preference == pytest.approx((0 + 1 + 0.499623) / 3, abs=1e-6)
    near = fit_slot(c, tz=BERLIN, prefs=PatientWishes(home=home))
    assert near.preference == pytest.approx(1 - 10.0075 / 50, abs=1e-6)  # no radius: 50 km scores 0
    assert fit_slot(c, tz=BERLIN, prefs=PatientWishes(times_of_day=frozenset({"morning"}))).preference == 1.0
    assert fit_slot(c, tz=BERLIN, prefs=PatientWishes(hospital_ids=frozenset({2}))).preference == 0.0
    far = SlotCandidate(slot(), position=(53.52, 13.40))  # 111 km: beyond the radius, not below 0
    assert fit_slot(far, tz=BERLIN, prefs=PatientWishes(home=home, radius_km=20)).preference == 0.0


@pytest.mark.parametrize(("booking", "expected"), [
    (at(2, 8, 15), 1.0),  # right after the slot (08:00-08:15 UTC)
    (at(2, 7, 30, length=25), 1.0),  # ends 07:55: a 5-minute buffer still counts as next to it
    (at(2, 9, 15), 1 - 60 / 180),  # an hour's gap
    (at(2, 12), 0.0),  # 3 h 45 min away
    (at(2, 22, 30), 0.5),  # 00:30 on 3 June in Berlin: another day, so the doctor's day is empty
    (at(1, 22, 30), 0.0),  # 00:30 on 2 June in Berlin: the same day, 9 h 15 min before
])
def test_compactness_rewards_slots_next_to_the_doctors_bookings_that_day(booking, expected):
    c = SlotCandidate(slot(hour=8), doctor_id=1)
    assert fit_slot(c, tz=BERLIN, bookings={1: [booking]}).compactness == pytest.approx(expected)
    assert fit_slot(c, tz=BERLIN, bookings={2: [booking]}).compactness == 0.5  # another doctor's booking


@pytest.mark.parametrize(("room", "bookings", "expected"), [
    ("A", [at(2, 7, 45, room="A"), at(2, 8, 15, room="B")], 0.5),  # one change: to the next booking
    ("C", [at(2, 7, 45, room="A"), at(2, 8, 15, room="B")], 0.0),  # a change before and after
    ("A", [at(2, 7, room="B"), at(2, 7, 45, room="A")], 1.0),  # only the booking just before counts
    (None, [at(2, 7, 45, room="A")], 1.0),  # the slot's room is unknown
    ("C", [at(2, 7, 45), at(2, 8, 15)], 1.0),  # the bookings' rooms are unknown
])
def test_room_changes_between_consecutive_bookings_cost(room, bookings, expected):
    c = SlotCandidate(slot(hour=8), doctor_id=1, room=room)
    assert fit_slot(c, tz=BERLIN, bookings={1: bookings}).room == expected


def test_overbooking_seats_score_one_minus_alpha_and_the_mean_is_weighted():
    c = SlotCandidate(slot(hour=8), doctor_id=1, room="A", alpha=0.3)
    f = fit_slot(c, tz=BERLIN, prefs=PatientWishes(times_of_day=frozenset({"morning"})),
            bookings={1: [at(2, 7, 45, room="A"), at(2, 8, 15, room="B")]})
    assert parts(f) == (1.0, 1.0, 0.5, pytest.approx(0.7))
    assert f.score == pytest.approx(0.895)  # 0.4 x 1 + 0.35 x 1 + 0.15 x 0.5 + 0.1 x 0.7


def test_rank_slots_puts_the_best_fit_before_the_earliest():
    bookings = {1: [at(2, 8, length=60, room="A")]}  # doctor 1: 08:00-09:00 UTC in room A
    a = SlotCandidate(slot(hour=7), doctor_id=2, info="a")  # the earliest, on an empty day: 0.825
    b = SlotCandidate(slot(hour=9), doctor_id=1, room="A", info="b")  # right after, same room: 1.0
    c = SlotCandidate(slot(hour=12), doctor_id=1, room="B", info="c")  # 3 h gap, room change: 0.4 + 0.075 + 0.1
    d = SlotCandidate(slot(hour=9), doctor_id=1, room="A", alpha=1.0, info="d")  # b's overbooking seat: 0.9
    e = SlotCandidate(slot(day=3, hour=7), doctor_id=2, info="e")  # as a, a day later: 0.825
    ranked = rank_slots([a, b, c, d, e], tz=BERLIN, bookings=bookings)
    assert [(f.candidate.info, round(f.score, 3)) for f in ranked] == [
        ("b", 1.0), ("d", 0.9), ("a", 0.825), ("e", 0.825), ("c", 0.575)]
    assert [f.candidate.info for f in rank_slots([e, a, b], tz=BERLIN, bookings=bookings, n=2)] == ["b", "a"]
    assert rank_slots([], tz=BERLIN) == [] and rank_slots([a], tz=BERLIN, n=0) == []


def test_weights_set_per_region_change_the_ranking():
    only_wishes = FitWeights(preference=1, compactness=0, room=0, overbooking=0)
    c = SlotCandidate(slot(hour=8), doctor_id=1, alpha=1.0)
    prefs = PatientWishes(times_of_day=frozenset({"morning", "evening"}))
    assert fit_slot(c, tz=BERLIN, prefs=prefs, weights=only_wishes).score == 1.0
    assert fit_slot(c, tz=BERLIN, prefs=prefs).score == pytest.approx(0.4 + 0.175 + 0.15)


@pytest.mark.parametrize(("change", "field"), [
    ({"room": -0.1}, "room"),
    ({"preference": "most"}, "preference"),
    ({"compactness": float("inf")}, "compactness"),
    ({"overbooking": True}, "overbooking"),
    ({"preference": 0, "compactness": 0, "room": 0, "overbooking": 0}, "preference"),
])
def test_unusable_fit_weights_are_refused(change, field):
    with pytest.raises(WeightsInvalid) as err:
        replace(FitWeights(), **change)
    assert err.value.field == field


def score(s, **kw):
    return score_slot(s, **{"tz": BERLIN, "now": NOW, **kw})


def test_score_slot_is_one_minus_the_fit_lower_is_better():
    assert score(slot()) == pytest.approx(0.175)
    assert score(slot(hour=8), preferred="evening") == pytest.approx(0.175 + 0.4)  # a morning slot
    assert score(slot(hour=15), preferred="evening") == pytest.approx(0.175)  # 17:00 in Berlin
    assert score(slot(), preferred="night") == pytest.approx(0.175)  # an unknown band is ignored
    assert score(slot(hour=8), day_busy=[Busy(datetime(2026, 6, 2, 8, 15), datetime(2026, 6, 2, 8, 30))]) == 0
    assert score(slot(hour=8), day_busy=[Busy(datetime(2026, 6, 2, 9, 15), datetime(2026, 6, 2, 9, 30))]) == \
        pytest.approx(0.35 * (60 / 180))
    assert score(slot(), previous_room="A", slot_room="B") == pytest.approx(0.175 + 0.075)
    assert score(slot(), previous_room="A", slot_room="A") == pytest.approx(0.175)
    assert score(slot(), overbooked=True) == pytest.approx(0.175 + 0.1)


def test_best_suggestions_ranks_and_passes_info_through():
    candidates = [
        (slot(day=4), {"doctor": 1}),  # morning: 0.575
        (slot(day=2), {"doctor": 2, "overbooked": True}),  # morning, overbooked: 0.675
        (slot(day=3), {"doctor": 3, "previous_room": "A", "slot_room": "B"}),  # morning, room change: 0.65
        (slot(day=3, hour=15), {"doctor": 4}),  # evening: 0.175
    ]
    best = best_suggestions(candidates, 3, tz=BERLIN, now=NOW, preferred="evening")
    assert [info["doctor"] for _, info in best] == [4, 1, 3]
    assert best[0] is candidates[3]


def test_best_suggestions_ties_go_to_the_earlier_start_then_input_order():
    a, b = slot(hour=8), slot(hour=8, minute=1)
    ranked = best_suggestions([(b, {"n": 0}), (a, {"n": 1}), (a, {"n": 2})], 3, tz=BERLIN, now=a.start)
    assert [info["n"] for _, info in ranked] == [1, 2, 0]


def test_best_suggestions_n_edges():
    candidates = [(slot(day=d), {}) for d in (2, 3)]
    assert best_suggestions(candidates, 0, tz=BERLIN, now=NOW) == []
    assert len(best_suggestions(candidates, 10, tz=BERLIN, now=NOW)) == 2
    assert best_suggestions([], 5, tz=BERLIN, now=NOW) == []


def test_from_setting_takes_the_defaults_and_refuses_unusable_weights():
    from app.scheduling.errors import WeightsInvalid
    from app.scheduling.scoring import FitWeights

    assert FitWeights.from_setting({}) == FitWeights()
    assert FitWeights.from_setting({"room": 0.3}).room == 0.3
    for bad in ({"room": -0.1}, {"room": "0.3"}, {"room": float("nan")}, {"nearness": 1}, [0.4], "x",
                {"preference": 0, "compactness": 0, "room": 0, "overbooking": 0}):
        with pytest.raises(WeightsInvalid):
            FitWeights.from_setting(bad)


def test_a_candidates_own_zone_decides_its_time_of_day():
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from app.scheduling.scoring import PatientWishes, SlotCandidate, rank_slots
    from app.scheduling.slots import FreeSlot

    start = datetime(2026, 3, 2, 11, 30)  # 11:30 UTC: morning in London, afternoon in Berlin (12:30)
    slot = FreeSlot(start, start + timedelta(minutes=15), start.date(), "slots", 1, False)
    london = SlotCandidate(slot, doctor_id=1, tz=ZoneInfo("Europe/London"), info="london")
    berlin = SlotCandidate(slot, doctor_id=2, tz=ZoneInfo("Europe/Berlin"), info="berlin")
    prefs = PatientWishes(times_of_day=frozenset({"afternoon"}))
    ranked = rank_slots([london, berlin], tz=ZoneInfo("UTC"), prefs=prefs)
    assert [f.candidate.info for f in ranked] == ["berlin", "london"]
