"""What the dashboards show, read from the daily statistics only (docs/reports.md): never the appointments.

Three tables: the trend (one row per week or month), the comparison (per hospital, or per specialty within one
hospital, or per hospital for a doctor) and access (the third next available appointment per specialty, longest
first). Ratios are taken of the period's sums; the median waits of several days are averaged weighted by their
counts, which the page calls "typical" rather than a true median of all patients.

A doctor's figures are summed from their daily rows; a hospital's and the region's from the running totals
(app/services/reports/totals.py), whose cost does not grow with the period or the number of doctors.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessStat, DailyStat, Doctor, Hospital, Specialty, StatTotal, User, doctor_hospitals
from app.scheduling.stats import ratio
from app.services.reports import totals
from app.services.reports.policy import ReportScope
from app.services.reports.totals import SUMS, WEIGHTED

# the columns of every table and its CSV, in order
COLUMNS = ("offered_hours", "used_hours", "lost_hours", "utilisation", "appointments", "no_shows", "no_show_rate",
           "late_cancellations", "lead_days", "offers", "offers_accepted", "refill_share", "walk_ins",
           "booked_arrivals", "wait_median", "wait_p90", "consult_median", "consult_p90")
# the pages show them in two narrower tables (time and outcomes; waitlist and queue), the CSV in one
GROUPS = (COLUMNS[:9], COLUMNS[9:])


@dataclass(frozen=True)
class Row:
    label: str
    values: dict[str, float | int | None]


def bucket(day: date, by: str) -> date:
    """The first day of the day's week (Monday) or month."""
    return day - timedelta(days=day.weekday()) if by == "week" else day.replace(day=1)


def _scoped(query, scope: ReportScope, table=DailyStat):
    if scope.hospital_ids is not None:
        query = query.where(table.hospital_id.in_(scope.hospital_ids))
    if scope.doctor_id is not None and table is DailyStat:
        query = query.where(DailyStat.doctor_id == scope.doctor_id)
    return query


def _aggregates():
    sums = [func.sum(getattr(DailyStat, name)).label(name) for name in SUMS]
    weighted = [func.sum(getattr(DailyStat, value) * getattr(DailyStat, weight)).label(value)
                for value, weight in WEIGHTED]
    return [*sums, *weighted]


def figures_of(raw: dict) -> dict[str, float | int | None]:
    """The shown figures from the summed columns of any number of rows (MariaDB sums to Decimal: made float)."""
    raw = {name: float(value) for name, value in raw.items() if isinstance(value, int | float | Decimal)}
    total = {name: raw.get(name, 0.0) for name in SUMS}

    def typical(value: str, weight: str):
        return round(raw[value] / total[weight], 1) if total[weight] and raw.get(value) is not None else None

    return {
        "offered_hours": round(total["offered_minutes"] / 60, 1),
        "used_hours": round(total["used_minutes"] / 60, 1),
        "lost_hours": round(total["lost_minutes"] / 60, 1),
        "utilisation": ratio(total["used_minutes"], total["offered_minutes"]),
        "appointments": int(total["appointments"]),
        "no_shows": int(total["no_shows"]),
        "no_show_rate": ratio(total["no_shows"], total["appointments"]),
        "late_cancellations": int(total["late_cancellations"]),
        "lead_days": round(total["lead_hours_sum"] / total["lead_count"] / 24, 1) if total["lead_count"] else None,
        "offers": int(total["offers"]),
        "offers_accepted": int(total["offers_accepted"]),
        "refill_share": ratio(total["holds_refilled"], total["holds"]),
        "walk_ins": int(total["walk_ins"]),
        "booked_arrivals": int(total["booked_arrivals"]),
        **{value: typical(value, weight) for value, weight in WEIGHTED},
    }


def _edges(first: date, last: date) -> tuple[date, date] | None:
    """The days whose running totals bound the period: the day before it and its last day with statistics."""
    latest = totals.latest_day()
    if latest is None or min(last, latest) < first:
        return None
    return first - timedelta(days=1), min(last, latest)


def _figures(values: dict) -> dict[str, float | int | None]:
    """The shown figures of a difference of running totals."""
    return figures_of({**{c: values[c] for c in SUMS}, **{v: values[f"{v}_weighted"] for v, _ in WEIGHTED}})


def _trend_from_totals(scope: ReportScope, first: date, last: date, by: str) -> list[Row]:
    edges = _edges(first, last)
    if edges is None:
        return []
    low, high = edges
    starts, start = [], bucket(first, by)
    while start <= high:
        starts.append(start)
        start = (start + timedelta(days=7)) if by == "week" else (start + timedelta(days=32)).replace(day=1)
    # each bucket ends the day before the next one starts, or at the period's last day
    ends = [min(s - timedelta(days=1), high) for s in starts[1:]] + [high]
    at = totals.totals_at({low, *ends}, scope.hospital_ids)
    rows, before = [], at.get((low, None))
    for start, end in zip(starts, ends, strict=True):
        now = at.get((end, None))
        added = totals.difference(now, before)
        if totals.anything(added):
            rows.append(Row(start.isoformat(), _figures(added)))
        before = now
    return rows


def trend(scope: ReportScope, first: date, last: date, by: str) -> list[Row]:
    """One row per week or month of the period with any activity, oldest first."""
    if scope.doctor_id is None:
        return _trend_from_totals(scope, first, last, by)
    return _trend_from_days(scope, first, last, by)


def _trend_from_days(scope: ReportScope, first: date, last: date, by: str) -> list[Row]:
    """The trend summed from the daily rows (days summed in the database, buckets here)."""
    query = _scoped(select(DailyStat.day, *_aggregates()).where(DailyStat.day >= first, DailyStat.day <= last)
                    .group_by(DailyStat.day).order_by(DailyStat.day), scope)
    buckets: dict[date, dict] = defaultdict(lambda: defaultdict(float))
    for row in db.session.execute(query).mappings():
        into = buckets[bucket(row["day"], by)]
        for name, value in row.items():
            if name != "day" and value is not None:
                into[name] += float(value)
    return [Row(start.isoformat(), figures_of(raw)) for start, raw in sorted(buckets.items())]


def comparison(scope: ReportScope, first: date, last: date) -> tuple[str, list[Row]]:
    """Hospitals side by side; within one hospital (or for one doctor at one hospital), specialties."""
    single = scope.hospital_ids is not None and len(scope.hospital_ids) == 1
    if scope.doctor_id is None:
        return _comparison_from_totals(scope, first, last, single)
    return _comparison_from_days(scope, first, last, single)


def _comparison_from_days(scope: ReportScope, first: date, last: date, single: bool) -> tuple[str, list[Row]]:
    if single and scope.doctor_id is None:
        kind, key, name = "specialty", DailyStat.specialty_id, Specialty.name
        joined = select(name, *_aggregates()).join(Specialty, Specialty.id == key)
    else:
        kind, key, name = "hospital", DailyStat.hospital_id, Hospital.name
        joined = select(name, *_aggregates()).join(Hospital, Hospital.id == key)
    query = _scoped(joined.where(DailyStat.day >= first, DailyStat.day <= last).group_by(key, name)
                    .order_by(name), scope)
    return kind, [Row(row[0], figures_of(dict(row._mapping))) for row in db.session.execute(query)]


def _names(model, ids) -> dict[int, str]:
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).tuples().all()) if ids else {}


def _comparison_from_totals(scope: ReportScope, first: date, last: date, single: bool) -> tuple[str, list[Row]]:
    kind, key, model = ("specialty", StatTotal.specialty_id, Specialty) if single else \
        ("hospital", StatTotal.hospital_id, Hospital)
    edges = _edges(first, last)
    if edges is None:
        return kind, []
    low, high = edges
    at = totals.totals_at({low, high}, scope.hospital_ids, key)
    added = {k: totals.difference(values, at.get((low, k))) for (day, k), values in at.items() if day == high}
    added = {k: v for k, v in added.items() if totals.anything(v)}
    names = _names(model, set(added))
    return kind, sorted((Row(names[k], _figures(v)) for k, v in added.items() if k in names), key=lambda r: r.label)


def _access_from_totals(scope: ReportScope, first: date, last: date) -> list[Row]:
    edges = _edges(first, last)
    if edges is None:
        return []
    low, high = edges
    at = totals.totals_at({low, high}, scope.hospital_ids, StatTotal.specialty_id)
    rows = []
    names = _names(Specialty, {k for _, k in at})
    for (day, k), values in at.items():
        if day != high or k not in names:
            continue
        added = totals.difference(values, at.get((low, k)))
        if not added["access_days"]:
            continue
        measured = added["access_measured"]
        rows.append(Row(names[k], {
            "third_next_days": round(added["access_sum"] / measured, 1) if measured else None,
            "days_without": int(added["access_days"] - measured)}))
    return rows


def access(scope: ReportScope, first: date, last: date) -> list[Row]:
    """Days to the third next available appointment per specialty, the period's average, longest first.

    A doctor sees the access of their own specialty at their hospitals: the measure is of the whole specialty.
    """
    if scope.doctor_id is None:
        return _sorted_access(_access_from_totals(scope, first, last))
    return _sorted_access(_access_from_days(scope, first, last))


def _access_from_days(scope: ReportScope, first: date, last: date) -> list[Row]:
    query = (select(Specialty.name, func.avg(AccessStat.third_next_days), func.count(AccessStat.third_next_days),
                    func.count(AccessStat.id))
             .join(Specialty, Specialty.id == AccessStat.specialty_id)
             .where(AccessStat.day >= first, AccessStat.day <= last)
             .group_by(Specialty.id, Specialty.name))
    query = _scoped(query, scope, AccessStat)
    if scope.doctor_id is not None:
        query = query.where(AccessStat.specialty_id == select(Doctor.specialty_id)
                            .where(Doctor.id == scope.doctor_id).scalar_subquery())
    return [Row(name, {"third_next_days": round(float(avg), 1) if avg is not None else None,
                       "days_without": int(days - measured)})
            for name, avg, measured, days in db.session.execute(query)]


def _sorted_access(rows: list[Row]) -> list[Row]:
    """Longest access first; specialties without a measure last."""
    return sorted(rows, key=lambda r: (r.values["third_next_days"] is None, -(r.values["third_next_days"] or 0),
                                       r.label))


def hospitals_in(scope: ReportScope) -> list[tuple[int, str]]:
    """The hospitals a period filter may narrow to."""
    query = select(Hospital.id, Hospital.name).order_by(Hospital.name)
    if scope.hospital_ids is not None:
        query = query.where(Hospital.id.in_(scope.hospital_ids))
    return [tuple(r) for r in db.session.execute(query)]


def doctors_in(hospital_ids: frozenset[int] | None) -> list[tuple[int, str]]:
    """Doctors whose statements an admin may open."""
    query = (select(Doctor.id, User.name).join(User, User.id == Doctor.user_id)
             .join(doctor_hospitals, doctor_hospitals.c.doctor_id == Doctor.id).distinct().order_by(User.name))
    if hospital_ids is not None:
        query = query.where(doctor_hospitals.c.hospital_id.in_(hospital_ids))
    return [tuple(r) for r in db.session.execute(query)]
