"""The recurrence core: dates, the booking horizon, and placing each date in its local time window."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.scheduling import BeyondHorizon
from app.scheduling import series as rules

BERLIN = ZoneInfo("Europe/Berlin")
MINUTES_15 = timedelta(minutes=15)


def rule(**changes) -> rules.Recurrence:
    base = {"first_day": date(2027, 3, 15), "every": 1, "unit": "weeks", "window_start": time(9),
            "window_end": time(12), "count": 4}
    return rules.Recurrence(**{**base, **changes})


def free(doctor: int, *starts: datetime) -> list[rules.FreeStart]:
    return [rules.FreeStart(doctor, 1, s, s + MINUTES_15) for s in starts]


def test_every_n_weeks_k_times():
    assert rules.occurrence_days(rule(every=2, count=3)) == [date(2027, 3, 15), date(2027, 3, 29), date(2027, 4, 12)]


def test_every_n_days_until_a_date_includes_the_end_date():
    days = rules.occurrence_days(rule(every=3, unit="days", count=None, until=date(2027, 3, 24)))
    assert days == [date(2027, 3, 15), date(2027, 3, 18), date(2027, 3, 21), date(2027, 3, 24)]


def test_until_before_a_step_stops_before_it():
    assert rules.occurrence_days(rule(count=None, until=date(2027, 3, 28))) == [date(2027, 3, 15), date(2027, 3, 22)]


@pytest.mark.parametrize(("changes", "field"), [
    ({"count": None}, "count"),                              # no end
    ({"until": date(2027, 5, 1)}, "count"),                  # two ends
    ({"count": rules.MAX_COUNT + 1}, "count"),
    ({"count": 0}, "count"),
    ({"every": 0}, "every"),
    ({"unit": "months"}, "unit"),
    ({"window_end": time(9)}, "window_end"),
    ({"count": None, "until": date(2027, 3, 1)}, "until"),   # ends before it starts
    ({"count": None, "unit": "days", "until": date(2028, 3, 1)}, "until"),  # more than MAX_COUNT dates
])
def test_bad_rules_are_refused_with_their_field(changes, field):
    with pytest.raises(rules.SeriesInvalid) as err:
        rules.occurrence_days(rule(**changes))
    assert err.value.field == field and err.value.http_status == 422


def test_max_count_is_allowed():
    assert len(rules.occurrence_days(rule(count=rules.MAX_COUNT))) == rules.MAX_COUNT


def test_horizon_refuses_a_series_whose_last_date_is_past_it():
    days = rules.occurrence_days(rule(count=4))  # up to 2027-04-05
    rules.check_horizon(days, date(2027, 4, 5))  # the last day itself is bookable
    with pytest.raises(BeyondHorizon) as err:
        rules.check_horizon(days, date(2027, 4, 4))
    assert "2027-04-05" in err.value.message and "2027-04-04" in err.value.message


def test_window_keeps_local_time_across_the_spring_change_in_berlin():
    # clocks go forward on 28 March 2027: 09:00 local is 08:00 UTC before and 07:00 UTC after
    assert rules.window_utc(date(2027, 3, 22), rule(), BERLIN)[0] == datetime(2027, 3, 22, 8)
    assert rules.window_utc(date(2027, 3, 29), rule(), BERLIN)[0] == datetime(2027, 3, 29, 7)


def test_placement_across_dst_takes_the_same_local_time():
    r = rule(count=2, first_day=date(2027, 3, 22))
    days = rules.occurrence_days(r)
    # 08:00 UTC on 29 March is 10:00 local: later than 09:00 (07:00 UTC), which is free too
    offered = {days[0]: free(7, datetime(2027, 3, 22, 8)),
               days[1]: free(7, datetime(2027, 3, 29, 8), datetime(2027, 3, 29, 7))}
    placed = rules.place_series(r, days, offered, BERLIN)
    assert [o.start for o in placed] == [datetime(2027, 3, 22, 8), datetime(2027, 3, 29, 7)]


def test_a_start_outside_the_window_leaves_the_date_unplaceable():
    r = rule(count=2)
    days = rules.occurrence_days(r)
    # 11:00 UTC is 12:00 local in March (CET): the window [09:00, 12:00) excludes it
    offered = {days[0]: free(7, datetime(2027, 3, 15, 11)), days[1]: free(7, datetime(2027, 3, 22, 10, 45))}
    placed = rules.place_series(r, days, offered, BERLIN)
    assert placed[0] == rules.Occurrence(days[0], reason=rules.NO_FREE_TIME)
    assert placed[1].placed and placed[1].start == datetime(2027, 3, 22, 10, 45)


def test_the_patients_own_booking_is_skipped_and_named():
    r = rule(count=2)
    days = rules.occurrence_days(r)
    start = datetime(2027, 3, 15, 8)
    offered = {days[0]: free(7, start), days[1]: free(7, datetime(2027, 3, 22, 8), datetime(2027, 3, 22, 9))}
    busy = [(start, start + MINUTES_15), (datetime(2027, 3, 22, 8, 10), datetime(2027, 3, 22, 8, 20))]
    placed = rules.place_series(r, days, offered, BERLIN, busy)
    assert placed[0].reason == rules.PATIENT_BUSY
    assert placed[1].start == datetime(2027, 3, 22, 9)


def test_any_doctor_keeps_the_previous_doctor_on_a_tie():
    r = rule(count=2)
    days = rules.occurrence_days(r)
    first, second = datetime(2027, 3, 15, 8), datetime(2027, 3, 22, 8)
    offered = {days[0]: free(9, first) + free(5, first + MINUTES_15),
               days[1]: free(5, second) + free(9, second)}
    placed = rules.place_series(r, days, offered, BERLIN)
    assert [(o.doctor_id, o.start) for o in placed] == [(9, first), (9, second)]
