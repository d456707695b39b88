"""The daily statistics' arithmetic on known rows (app/scheduling/stats.py, docs/reports.md)."""
from datetime import date, datetime, timedelta

import pytest

from app.scheduling import PeriodInvalid
from app.scheduling.stats import (
    Arrival,
    Booking,
    OfferMade,
    check_period,
    day_figures,
    first_free,
    p90,
    ratio,
    third_next_available,
)

DAY = datetime(2026, 3, 2)


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hour, minutes=minute)


def booking(hour: int, status: str, minutes: int = 15, created_days_before: int = 2, cancelled=None) -> Booking:
    start = at(hour)
    return Booking(start, start + timedelta(minutes=minutes), start - timedelta(days=created_days_before), status,
                   cancelled)


def test_a_day_of_known_rows_gives_known_figures():
    offered = [(at(9), at(12)), (at(14), at(15))]  # 240 minutes
    bookings = [
        booking(9, "completed"), booking(10, "completed", 30, created_days_before=4), booking(11, "no_show"),
        booking(14, "cancelled", cancelled=at(9)),  # 5 hours before: late (cut-off 24 h)
        booking(15, "cancelled", cancelled=at(9, days=-3)),  # days before: not late
    ]
    arrivals = [
        Arrival(False, at(8, 50), at(9, 0), at(9, 0), at(9, 12)),
        Arrival(False, at(9, 55), at(10, 10), at(10, 10), at(10, 40)),
        Arrival(True, at(10, 0), at(10, 45), at(10, 45), at(10, 51)),
        Arrival(True, at(11, 0)),  # left before being called: no wait, no consultation
    ]
    offers = [OfferMade(7, False), OfferMade(7, True), OfferMade(8, False)]
    f = day_figures(offered, bookings, arrivals, offers, cutoff_hours=24)
    assert (f.offered_minutes, f.booked_minutes, f.used_minutes, f.lost_minutes) == (240, 60, 45, 30)
    assert (f.appointments, f.completed, f.no_shows, f.cancellations, f.late_cancellations) == (3, 2, 1, 2, 1)
    assert (f.lead_count, f.lead_hours_sum, f.lead_hours_median) == (3, 192.0, 48.0)
    assert (f.offers, f.offers_accepted, f.holds, f.holds_refilled) == (3, 1, 2, 1)
    assert (f.walk_ins, f.booked_arrivals) == (2, 2)
    assert (f.wait_count, f.wait_minutes_sum, f.wait_median) == (3, 70.0, 15.0)
    assert (f.consult_count, f.consult_median) == (3, 12.0)
    assert f.wait_p90 == 39.0  # 10, 15, 45: rank (3 - 1) * 0.9 = 1.8, so 15 + 0.8 * 30
    assert ratio(f.used_minutes, f.offered_minutes) == 0.1875


def test_nothing_offered_is_no_ratio_and_one_value_is_its_own_p90():
    assert ratio(30, 0) is None
    assert p90([7.0]) == 7.0 and p90([]) is None
    assert day_figures([], [], [], [], 24) == day_figures((), (), (), (), 48)


def test_third_next_available_counts_days_to_the_third_free_slot():
    since = at(0)
    assert third_next_available([at(9), at(9, days=1), at(12, days=3), at(8, days=-1)], since) == 3.5
    assert third_next_available([at(9), at(10)], since) is None


def test_first_free_skips_what_was_booked_at_the_time_but_not_what_came_later():
    slots = [(at(9, m), at(9, m + 15)) for m in (0, 15, 30, 45)] + [(at(10), at(10, 15))]
    bookings = [
        Booking(at(9), at(9, 15), at(0, days=-5), "completed"),  # held then
        Booking(at(9, 15), at(9, 45), at(1), "completed"),  # made after the snapshot: the slot was free
        Booking(at(9, 45), at(10), at(0, days=-5), "cancelled", at(0, days=-1)),  # cancelled before: free
    ]
    assert first_free(slots, bookings, at(0), at(0, days=28)) == [at(9, 15), at(9, 30), at(9, 45)]
    assert first_free(slots, bookings, at(0), at(9, 40)) == [at(9, 15), at(9, 30)]


@pytest.mark.parametrize(("first", "last", "field"), [
    (date(2026, 3, 5), date(2026, 3, 1), "to"),  # reversed
    (date(2026, 3, 1), date(2026, 3, 11), "to"),  # tomorrow
    (date(2025, 1, 1), date(2026, 3, 1), "from"),  # longer than a year
])
def test_periods_that_cannot_be_computed_are_refused(first, last, field):
    with pytest.raises(PeriodInvalid) as refused:
        check_period(first, last, today=date(2026, 3, 10))
    assert refused.value.field == field and refused.value.code == "period_invalid"


def test_a_year_up_to_today_is_fine():
    check_period(date(2025, 3, 11), date(2026, 3, 10), today=date(2026, 3, 10))
