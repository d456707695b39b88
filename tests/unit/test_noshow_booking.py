"""A portal booking mapped onto the model's features, and the bands staff see (docs/noshow.md)."""
from datetime import date, datetime

import pytest

from app.scheduling.noshow_features import (
    FEATURES,
    HIGH_FROM,
    LOW_BELOW,
    UNKNOWN_AGE,
    Appointment,
    BookingFacts,
    Encoding,
    History,
    booking_features,
    features,
    risk_band,
)

ENCODING = Encoding({"Centro": 0.4}, {"Centro": 0.3}, 0.2)


def facts(**kw) -> BookingFacts:
    values = dict(booked=datetime(2026, 3, 2, 10, 30), day=date(2026, 3, 6), age=44, female=True, sms_enabled=True,
                  prior_visits=3, prior_noshows=1)
    values.update(kw)
    return BookingFacts(**values)


def named(vector) -> dict:
    return dict(zip(FEATURES, vector, strict=True))


def test_a_booking_is_the_data_set_row_the_portal_would_have_written():
    """The same numbers as a data set row with the same facts and history (the neighbourhood unknown)."""
    row = Appointment(patient="p", appointment="a", female=True, booked=datetime(2026, 3, 2, 10, 30),
                      day=date(2026, 3, 6), age=44, neighbourhood="nowhere", scholarship=False, hypertension=False,
                      diabetes=False, alcoholism=False, handicap=0, sms=True, no_show=False)
    past = [Appointment(patient="p", appointment=str(i), female=True, booked=datetime(2026, 2, 1), day=date(2026, 2, d),
                        age=44, neighbourhood="x", scholarship=False, hypertension=False, diabetes=False,
                        alcoholism=False, handicap=0, sms=False, no_show=i == 0) for i, d in enumerate((3, 10, 17))]
    assert booking_features(facts(), ENCODING) == features(row, ENCODING, History(past))
    got = named(booking_features(facts(), ENCODING))
    assert (got["lead_days"], got["same_day"], got["day_fri"], got["day_mon"], got["booked_hour"]) == (4, 0, 1, 0, 10)
    assert (got["prior_visits"], got["prior_noshows"], got["first_visit"]) == (3, 1, 0)
    assert got["prior_noshow_share"] == pytest.approx((1 + 0.2) / 4)
    assert (got["neighbourhood_share"], got["neighbourhood_noshow_rate"]) == (0, 0.2)  # never seen


def test_unknowns_and_the_sms_rule():
    got = named(booking_features(facts(age=None, female=False, prior_visits=0, prior_noshows=0), ENCODING))
    assert (got["age"], got["female"], got["first_visit"]) == (UNKNOWN_AGE, 0, 1)
    assert named(booking_features(facts(day=date(2026, 3, 5)), ENCODING))["sms_received"] == 1  # 3 days ahead
    # the data set's reminders went out from 3 days ahead only: a shorter lead counts as no SMS
    assert named(booking_features(facts(day=date(2026, 3, 4)), ENCODING))["sms_received"] == 0
    assert named(booking_features(facts(sms_enabled=False), ENCODING))["sms_received"] == 0
    # a booking recorded for a past day counts as same-day; Sunday is none of the data set's weekdays
    past = named(booking_features(facts(day=date(2026, 3, 1)), ENCODING))
    assert (past["lead_days"], past["same_day"]) == (0, 1)
    sunday = named(booking_features(facts(day=date(2026, 3, 8)), ENCODING))
    assert not any(sunday[f"day_{d}"] for d in ("mon", "tue", "wed", "thu", "fri", "sat"))


@pytest.mark.parametrize(("p", "band"), [
    (None, None), (0.0, "low"), (LOW_BELOW - 0.0001, "low"), (LOW_BELOW, "medium"), (HIGH_FROM - 0.0001, "medium"),
    (HIGH_FROM, "high"), (1.0, "high")])
def test_bands(p, band):
    assert risk_band(p) == band
