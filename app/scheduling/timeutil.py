"""Time helpers: naive-UTC instants, wall-clock conversion and the 5-minute claim grid.

Every instant in the core is a *naive* ``datetime`` in UTC because that is how the database stores it. Local
wall-clock time only exists at the edges (weekly rules, display) and is computed with ``zoneinfo``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

CELL_MINUTES = 5
_CELL = timedelta(minutes=CELL_MINUTES)
_EPOCH = datetime(2000, 1, 3)  # a Monday at midnight; any cell-aligned origin works


def to_utc(local_day: date, local_time: time, tz: tzinfo) -> datetime:
    """Return the naive UTC instant of the wall-clock ``local_day local_time`` in ``tz``.

    An ambiguous wall time (the repeated hour in autumn) takes its first occurrence (fold=0). A wall time that does
    not exist (the skipped hour in spring) moves forward to the first valid instant, the moment the clocks jump,
    so a 01:30 rule on the London spring-forward night starts at 02:00 BST.
    """
    wall = datetime.combine(local_day, local_time.replace(tzinfo=None, fold=0))
    utc = wall.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    if to_local(utc, tz).replace(tzinfo=None) == wall:
        return utc
    return _gap_end(wall, tz)


def _gap_end(wall: datetime, tz: tzinfo) -> datetime:
    """Return the transition instant that ends the DST gap containing ``wall`` (naive UTC)."""
    # Inside a gap, fold=1 reads the wall time with the post-transition offset (an instant before the jump) and
    # fold=0 with the pre-transition offset (an instant after it); zoneinfo has no public transition list, so
    # bisect between the two to the second.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC).replace(tzinfo=None)
    hi = wall.replace(tzinfo=tz, fold=0).astimezone(UTC).replace(tzinfo=None)
    before = to_local(lo, tz).utcoffset()
    while (hi - lo) > timedelta(seconds=1):
        mid = lo + timedelta(seconds=int((hi - lo).total_seconds()) // 2)
        if to_local(mid, tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi


def to_local(utc_naive: datetime, tz: tzinfo) -> datetime:
    """Return the aware local datetime in ``tz`` of a naive UTC instant."""
    return utc_naive.replace(tzinfo=UTC).astimezone(tz)


def local_day(utc_naive: datetime, tz: tzinfo) -> date:
    """Return the local calendar day in ``tz`` of a naive UTC instant."""
    return to_local(utc_naive, tz).date()


def floor_cell(instant: datetime) -> datetime:
    """Round ``instant`` down to the start of its 5-minute cell."""
    return instant - (instant - _EPOCH) % _CELL


def ceil_cell(instant: datetime) -> datetime:
    """Round ``instant`` up to the next 5-minute cell boundary (unchanged when already on one)."""
    rest = (instant - _EPOCH) % _CELL
    return instant if not rest else instant - rest + _CELL


def cells(start: datetime, end: datetime) -> list[datetime]:
    """Return the starts of the 5-minute cells covering ``[start, end)``: one claim row per cell and resource.

    ``start`` is floored and ``end`` ceiled, so an interval that only touches part of a cell still claims it. An
    empty or inverted interval covers no cell.
    """
    if end <= start:
        return []
    first, stop = floor_cell(start), ceil_cell(end)
    return [first + i * _CELL for i in range((stop - first) // _CELL)]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Tell whether the half-open intervals ``[a_start, a_end)`` and ``[b_start, b_end)`` share an instant.

    An empty interval (end <= start) holds no instant, so it overlaps nothing.
    """
    return a_start < b_end and b_start < a_end and a_start < a_end and b_start < b_end


def merge_intervals(intervals) -> list[tuple[datetime, datetime]]:
    """Sort and merge overlapping or touching intervals, dropping empty ones."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def subtract_interval(start: datetime, end: datetime, cuts) -> list[tuple[datetime, datetime]]:
    """Return the parts of ``[start, end)`` outside the sorted, disjoint ``cuts``."""
    pieces = []
    for cut_start, cut_end in cuts:
        if cut_end <= start or cut_start >= end:
            continue
        if cut_start > start:
            pieces.append((start, cut_start))
        start = max(start, cut_end)
    if start < end:
        pieces.append((start, end))
    return pieces
