"""Running totals of the daily statistics (docs/reports.md, "Running totals").

The region's dashboards would otherwise add up every doctor's row of every day of the period on each request
(730,000 rows for a year of a 2,000-doctor region). Instead, each (hospital, specialty) keeps one row per local day
holding everything summed from its first day through that day; a period's sum is then the difference of the rows
at its two edges, whatever its length, and a trend of N buckets reads N + 1 days. Doctors' own pages still read
their daily rows, which are few.

Derived like the daily rows: `refresh(first)` rewrites every total from ``first`` on from daily_stats and
access_stats, so rebuilding gives the same rows. The totals run densely, a row every day from a pair's first day
to the last day with statistics, so an edge always has its row.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import BigInteger, delete, func, insert, select

from app.extensions import db
from app.models import AccessStat, DailyStat, StatTotal

# the daily figures that add up over days (the dashboards' sums)
SUMS = ("offered_minutes", "booked_minutes", "used_minutes", "lost_minutes", "appointments", "completed", "no_shows",
        "cancellations", "late_cancellations", "lead_count", "lead_hours_sum", "offers", "offers_accepted", "holds",
        "holds_refilled", "walk_ins", "booked_arrivals", "wait_count", "wait_minutes_sum", "consult_count",
        "consult_minutes_sum")
# a day's median or p90 and the count it is weighted by over several days
WEIGHTED = (("wait_median", "wait_count"), ("wait_p90", "wait_count"), ("consult_median", "consult_count"),
            ("consult_p90", "consult_count"))
ACCESS = ("access_days", "access_measured", "access_sum")
COLUMNS = (*SUMS, *(f"{value}_weighted" for value, _ in WEIGHTED), *ACCESS)
# the columns that count (exact whole numbers); the rest are sums of minutes, hours and days
COUNTS = frozenset(c.name for c in StatTotal.__table__.columns if isinstance(c.type, BigInteger))
CHUNK_DAYS = 31  # days of daily sums held in memory at once


def refresh(first: date) -> int:
    """Rewrite the totals of every day from ``first`` (a local date) to the last day with statistics; the rows
    written. Flushes, never commits."""
    db.session.execute(delete(StatTotal).where(StatTotal.day >= first))
    last = max((d for d in (db.session.scalar(select(func.max(DailyStat.day))),
                            db.session.scalar(select(func.max(AccessStat.day)))) if d is not None), default=None)
    if last is None or last < first:
        db.session.flush()
        return 0
    running: dict[tuple[int, int], dict[str, float]] = {}
    for row in db.session.execute(select(StatTotal).where(StatTotal.day == first - timedelta(days=1))).scalars():
        running[(row.hospital_id, row.specialty_id)] = {c: getattr(row, c) for c in COLUMNS}
    written = 0
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=CHUNK_DAYS - 1))
        daily = _daily_sums(start, end)
        rows = []
        day = start
        while day <= end:
            for key, values in daily.get(day, {}).items():
                into = running.setdefault(key, dict.fromkeys(COLUMNS, 0))
                for column, value in values.items():
                    into[column] += value
            rows.extend({"day": day, "hospital_id": h, "specialty_id": s, **values}
                        for (h, s), values in running.items())
            day += timedelta(days=1)
        if rows:
            db.session.execute(insert(StatTotal), rows)
        written += len(rows)
        start = end + timedelta(days=1)
    db.session.flush()
    return written


def _daily_sums(first: date, last: date) -> dict[date, dict[tuple[int, int], dict[str, float]]]:
    """Per day and (hospital, specialty): the day's sums over its doctors, and its access measure."""
    found: dict[date, dict[tuple[int, int], dict[str, float]]] = defaultdict(dict)
    d = DailyStat
    query = (select(d.day, d.hospital_id, d.specialty_id, *(func.sum(getattr(d, c)) for c in SUMS),
                    *(func.sum(func.coalesce(getattr(d, v), 0) * getattr(d, w)) for v, w in WEIGHTED))
             .where(d.day >= first, d.day <= last).group_by(d.day, d.hospital_id, d.specialty_id))
    names = (*SUMS, *(f"{value}_weighted" for value, _ in WEIGHTED))
    for day, hospital_id, specialty_id, *values in db.session.execute(query):
        found[day][(hospital_id, specialty_id)] = {n: _number(v, n) for n, v in zip(names, values, strict=True)}
    a = AccessStat
    query = (select(a.day, a.hospital_id, a.specialty_id, func.count(a.id), func.count(a.third_next_days),
                    func.sum(a.third_next_days))
             .where(a.day >= first, a.day <= last).group_by(a.day, a.hospital_id, a.specialty_id))
    for day, hospital_id, specialty_id, days, measured, total in db.session.execute(query):
        values = found[day].setdefault((hospital_id, specialty_id), {})
        values.update(access_days=days, access_measured=measured, access_sum=_number(total, "access_sum"))
    return found


def _number(value, column: str) -> float | int:
    """A summed value as Python counts it: counts as int, the rest as float (MariaDB sums to Decimal, SQLite a
    float column's whole numbers to int; an empty sum is None)."""
    if value is None:
        return 0
    return int(value) if column in COUNTS else float(value)


def latest_day() -> date | None:
    return db.session.scalar(select(func.max(StatTotal.day)))


def totals_at(days: set[date], hospital_ids: frozenset[int] | None, by=None
              ) -> dict[tuple[date, int | None], dict[str, float]]:
    """The summed totals at each of ``days``, per ``by`` (StatTotal.hospital_id or .specialty_id; None: all
    together), within the hospitals (None: the region)."""
    keys = [StatTotal.day] + ([by] if by is not None else [])
    query = (select(*keys, *(func.sum(getattr(StatTotal, c)) for c in COLUMNS))
             .where(StatTotal.day.in_(sorted(days))).group_by(*keys))
    if hospital_ids is not None:
        query = query.where(StatTotal.hospital_id.in_(hospital_ids))
    result = {}
    for row in db.session.execute(query):
        day, key = row[0], (row[1] if by is not None else None)
        values = row[len(keys):]
        result[(day, key)] = {c: _number(v, c) for c, v in zip(COLUMNS, values, strict=True)}
    return result


def difference(high: dict[str, float] | None, low: dict[str, float] | None) -> dict[str, float]:
    """What was added between two totals (a missing low edge: the pair began inside the period)."""
    high, low = high or {}, low or {}
    return {c: high.get(c, 0) - low.get(c, 0) for c in COLUMNS}


def anything(values: dict[str, float], columns: tuple[str, ...] = SUMS) -> bool:
    """Whether a difference holds any activity in ``columns``: judged on the counts, which are exact (a float sum
    may leave a rounding crumb where nothing happened)."""
    return any(values[c] != 0 for c in columns if c in COUNTS)
