"""Unit tests for app.scheduling.timeutil: UTC/wall-clock conversion across DST, and the 5-minute cell grid."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling.timeutil import CELL_MINUTES, ceil_cell, cells, floor_cell, local_day, overlaps, to_local, to_utc

LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # a 30-minute DST shift


@pytest.mark.parametrize(
    ("day", "wall", "tz", "utc"),
    [
        (date(2026, 1, 15), time(9), LONDON, datetime(2026, 1, 15, 9)),
        (date(2026, 7, 15), time(9), LONDON, datetime(2026, 7, 15, 8)),
        (date(2026, 1, 15), time(9), BERLIN, datetime(2026, 1, 15, 8)),
        (date(2026, 7, 15), time(9), BERLIN, datetime(2026, 7, 15, 7)),
        (date(2026, 7, 15), time(9), NEW_YORK, datetime(2026, 7, 15, 13)),
    ],
)
def test_to_utc_plain_times(day, wall, tz, utc):
    assert to_utc(day, wall, tz) == utc


@pytest.mark.parametrize(
    ("day", "wall", "tz", "utc"),
    [
        # London skips 01:00-02:00 on 2026-03-29; every skipped wall time lands on 02:00 BST = 01:00 UTC.
        (date(2026, 3, 29), time(1, 0), LONDON, datetime(2026, 3, 29, 1)),
        (date(2026, 3, 29), time(1, 30), LONDON, datetime(2026, 3, 29, 1)),
        (date(2026, 3, 29), time(1, 59, 59), LONDON, datetime(2026, 3, 29, 1)),
        (date(2026, 3, 29), time(2, 0), LONDON, datetime(2026, 3, 29, 1)),
        (date(2026, 3, 29), time(0, 59), LONDON, datetime(2026, 3, 29, 0, 59)),
        (date(2026, 3, 29), time(2, 30), BERLIN, datetime(2026, 3, 29, 1)),
        (date(2026, 3, 8), time(2, 30), NEW_YORK, datetime(2026, 3, 8, 7)),
        (date(2026, 10, 4), time(2, 15), LORD_HOWE, datetime(2026, 10, 3, 15, 30)),
    ],
)
def test_to_utc_spring_gap_moves_forward_to_first_valid_instant(day, wall, tz, utc):
    assert to_utc(day, wall, tz) == utc


@pytest.mark.parametrize(
    ("day", "wall", "tz", "utc"),
    [
        (date(2026, 10, 25), time(1, 30), LONDON, datetime(2026, 10, 25, 0, 30)),
        (date(2026, 10, 25), time(2, 30), BERLIN, datetime(2026, 10, 25, 0, 30)),
        (date(2026, 11, 1), time(1, 30), NEW_YORK, datetime(2026, 11, 1, 5, 30)),
    ],
)
def test_to_utc_ambiguous_autumn_time_takes_first_occurrence(day, wall, tz, utc):
    assert to_utc(day, wall, tz) == utc


def test_to_utc_ignores_fold_and_tzinfo_on_the_time():
    day = date(2026, 10, 25)
    assert to_utc(day, time(1, 30, fold=1), LONDON) == to_utc(day, time(1, 30), LONDON)
    assert to_utc(day, time(1, 30, tzinfo=UTC), LONDON) == datetime(2026, 10, 25, 0, 30)


def test_to_utc_returns_naive():
    assert to_utc(date(2026, 5, 1), time(9), BERLIN).tzinfo is None


def test_to_local_and_local_day():
    instant = datetime(2026, 6, 30, 23, 30)
    local = to_local(instant, LONDON)
    assert local.utcoffset() == timedelta(hours=1)
    assert (local.date(), local.time()) == (date(2026, 7, 1), time(0, 30))
    assert local_day(instant, LONDON) == date(2026, 7, 1)
    assert local_day(instant, NEW_YORK) == date(2026, 6, 30)


def test_cells_floor_start_and_ceil_end():
    start, end = datetime(2026, 1, 1, 9, 2, 30), datetime(2026, 1, 1, 9, 16)
    assert cells(start, end) == [datetime(2026, 1, 1, 9, m) for m in (0, 5, 10, 15)]


def test_cells_on_the_grid_and_empty():
    start = datetime(2026, 1, 1, 9)
    assert cells(start, start + timedelta(minutes=15)) == [start, start.replace(minute=5), start.replace(minute=10)]
    assert cells(start, start) == []
    assert cells(start, start - timedelta(minutes=5)) == []
    assert CELL_MINUTES == 5


def test_floor_and_ceil_cell():
    t = datetime(2026, 1, 1, 23, 58, 1)
    assert floor_cell(t) == datetime(2026, 1, 1, 23, 55)
    assert ceil_cell(t) == datetime(2026, 1, 2, 0, 0)
    assert ceil_cell(datetime(2026, 1, 1, 10, 5)) == datetime(2026, 1, 1, 10, 5)


def test_overlaps_is_half_open():
    a, b, c, d = (datetime(2026, 1, 1, h) for h in (9, 10, 11, 12))
    assert overlaps(a, c, b, d)
    assert overlaps(a, d, b, c)
    assert not overlaps(a, b, b, c)  # touching intervals share no instant
    assert not overlaps(b, c, a, b)
    assert not overlaps(b, b, a, d)  # an empty interval holds no instant


@settings(max_examples=150, deadline=None)
@given(
    tz=st.sampled_from([LONDON, BERLIN, NEW_YORK, LORD_HOWE]),
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    minute=st.integers(0, 24 * 60 - 1),
)
def test_to_utc_round_trips_or_lands_at_the_end_of_a_gap(tz, day, minute):
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    utc = to_utc(day, wall.time(), tz)
    back = to_local(utc, tz)
    if back.replace(tzinfo=None) != wall:
        # The wall time did not exist: we must be exactly at a transition, just after the skipped stretch.
        assert back.replace(tzinfo=None) > wall
        assert back.replace(tzinfo=None) - wall <= timedelta(hours=1)
        assert to_local(utc - timedelta(seconds=1), tz).utcoffset() != back.utcoffset()


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=5)),
)
def test_cells_cover_the_interval_exactly(start, length):
    end = start + length
    found = cells(start, end)
    if length:
        assert found[0] <= start < found[0] + timedelta(minutes=CELL_MINUTES)
        assert found[-1] < end <= found[-1] + timedelta(minutes=CELL_MINUTES)
        assert all(b - a == timedelta(minutes=CELL_MINUTES) for a, b in zip(found, found[1:], strict=False))
        assert all(c.minute % CELL_MINUTES == 0 and not c.second and not c.microsecond for c in found)
    else:
        assert found == []
