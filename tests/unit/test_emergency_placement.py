"""Where an emergency goes today (app/scheduling/emergency.py): a free slot first, else the fewest and least urgent
displaced bookings, earlier on equal cost; nothing left is a clear answer."""
from datetime import UTC, date, datetime, timedelta

import pytest

from app.scheduling.emergency import DaySeat, displace_alpha, place_emergency
from app.scheduling.errors import WeightsInvalid
from app.scheduling.optimiser_model import Weights

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 8, 0)


def seat(hour: int, minute: int = 0, displaced=(), doctor: int = 1) -> DaySeat:
    start = datetime(2026, 3, 2, hour, minute)
    return DaySeat(doctor, 1, start, start + timedelta(minutes=15), UTC, 7, tuple(displaced))


def test_displacing_costs_more_for_urgent_and_for_more_bookings():
    assert displace_alpha(()) == 0
    assert displace_alpha(("routine",)) < displace_alpha(("urgent",)) < displace_alpha(("routine", "urgent"))
    assert displace_alpha(("urgent", "urgent")) == 1.0


def test_a_free_slot_wins_over_an_earlier_booked_one():
    seats = [seat(9, 0, ["routine"]), seat(15, 0)]
    chosen, result = place_emergency(5, seats, TODAY, now=NOW, specialty_id=7)
    assert chosen == 1 and result.placements[0].alpha == 0


def test_the_earliest_free_slot_wins_among_free_ones():
    chosen, _ = place_emergency(5, [seat(11), seat(9, 30), seat(10)], TODAY, now=NOW, specialty_id=7)
    assert chosen == 1


def test_with_no_free_slot_the_least_urgent_and_fewest_are_displaced():
    seats = [seat(9, 0, ["urgent"]), seat(9, 15, ["routine", "routine"]), seat(10, 0, ["routine"])]
    chosen, _ = place_emergency(5, seats, TODAY, now=NOW, specialty_id=7)
    assert chosen == 2  # one routine booking, although later than the others
    chosen, _ = place_emergency(5, seats[:2], TODAY, now=NOW, specialty_id=7)
    assert chosen == 0  # one urgent (0.8) against two routine (0.8): equal cost, the earlier slot


def test_a_named_doctor_and_the_specialty_are_kept():
    seats = [seat(9, 0, doctor=1), seat(9, 0, doctor=2)]
    chosen, _ = place_emergency(5, seats, TODAY, now=NOW, doctor_id=2)
    assert chosen == 1
    chosen, result = place_emergency(5, seats, TODAY, now=NOW, specialty_id=8)
    assert chosen is None and result.unplaced[0].reason == "no_feasible_slot"


def test_nothing_left_today_places_nowhere():
    chosen, result = place_emergency(5, [seat(7, 0)], TODAY, now=NOW, specialty_id=7)  # started before now
    assert chosen is None and result.placements == ()
    chosen, result = place_emergency(5, [], TODAY, now=NOW, specialty_id=7)
    assert chosen is None and result.unplaced[0].reason == "no_capacity"


def test_unusable_weights_are_refused_before_anything_is_placed():
    with pytest.raises(WeightsInvalid):
        place_emergency(5, [seat(9)], TODAY, now=NOW, weights=Weights(emergency=-1.0), specialty_id=7)
