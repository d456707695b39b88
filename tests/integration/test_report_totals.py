"""The running totals give the region's and a hospital's dashboards exactly what summing the daily rows gives
(docs/reports.md, "Running totals"), for any period, bucket and scope, and are rebuilt to the same rows."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import insert, select

from app.extensions import db
from app.models import AccessStat, DailyStat, Hospital, Specialty, StatTotal
from app.services.reports import dashboard, totals
from app.services.reports.policy import ReportScope

START = date(2026, 1, 26)  # a Monday; the data runs over 45 days, across a month's end
DAYS = 45


def _random_stats(seed: int = 7) -> list[int]:
    """Daily rows for 12 doctors at 3 hospitals in 3 specialties, with gaps; whole numbers, so sums are exact."""
    rng = random.Random(seed)
    hospitals = [Hospital(name=f"Hospital {n}", city="London", country="GB", lat=51.5, lon=-0.1,
                          timezone="Europe/London") for n in "ABC"]
    specialties = [Specialty(name=f"Specialty {n}", code=f"S{n}") for n in "XYZ"]
    db.session.add_all([*hospitals, *specialties])
    db.session.commit()
    columns = [c.name for c in DailyStat.__table__.columns
               if c.name not in ("id", "day", "hospital_id", "doctor_id", "specialty_id")]
    daily, access = [], []
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        for doctor in range(12):
            if rng.random() < 0.3:
                continue  # not working that day: no row, as the rebuild writes none
            row = {c: rng.randint(0, 40) for c in columns}
            # a day without waits or consultations has no median of them, as the rebuild writes it
            for count, medians in (("lead_count", ("lead_hours_median",)), ("wait_count", ("wait_median", "wait_p90")),
                                   ("consult_count", ("consult_median", "consult_p90"))):
                if rng.random() < 0.2:
                    row.update({count: 0, **dict.fromkeys(medians)})
            daily.append({**row, "day": day, "hospital_id": hospitals[doctor % 3].id, "doctor_id": doctor + 1,
                          "specialty_id": specialties[doctor % 3 if doctor < 9 else 0].id})
        for h in hospitals:
            for s in specialties:
                if rng.random() < 0.8:
                    access.append({"day": day, "hospital_id": h.id, "specialty_id": s.id,
                                   "third_next_days": None if rng.random() < 0.25 else float(rng.randint(0, 20))})
    db.session.execute(insert(DailyStat), daily)
    db.session.execute(insert(AccessStat), access)
    db.session.commit()
    return [h.id for h in hospitals]


def _same(a, b) -> None:
    assert [(r.label, r.values) for r in a] == [(r.label, r.values) for r in b]


def test_totals_answer_as_the_daily_rows_do(app):
    hospitals = _random_stats()
    assert totals.refresh(START) > 0
    db.session.commit()
    rng = random.Random(11)
    scopes = [ReportScope(None), ReportScope(frozenset(hospitals[:1])), ReportScope(frozenset(hospitals[1:]))]
    periods = [(START, START + timedelta(days=DAYS - 1)), (START - timedelta(days=9), START + timedelta(days=3)),
               (START + timedelta(days=DAYS - 3), START + timedelta(days=DAYS + 20))]
    for _ in range(12):
        first = START + timedelta(days=rng.randint(-5, DAYS))
        periods.append((first, first + timedelta(days=rng.randint(0, 40))))
    for scope in scopes:
        single = scope.hospital_ids is not None and len(scope.hospital_ids) == 1
        for first, last in periods:
            for by in ("week", "month"):
                _same(dashboard._trend_from_totals(scope, first, last, by),
                      dashboard._trend_from_days(scope, first, last, by))
            kind, by_totals = dashboard._comparison_from_totals(scope, first, last, single)
            kind_days, by_days = dashboard._comparison_from_days(scope, first, last, single)
            assert kind == kind_days
            _same(by_totals, by_days)
            _same(dashboard._sorted_access(dashboard._access_from_totals(scope, first, last)),
                  dashboard._sorted_access(dashboard._access_from_days(scope, first, last)))
    # the comparisons were not all empty: the test compares figures, not two nothings
    assert len(dashboard.comparison(ReportScope(None), START, START + timedelta(days=DAYS))[1]) == 3
    assert len(dashboard.trend(ReportScope(None), START, START + timedelta(days=DAYS), "week")) == 7


def _rows() -> list[tuple]:
    db.session.expire_all()
    columns = [c for c in StatTotal.__table__.columns if c.name != "id"]
    return [tuple(r) for r in db.session.execute(select(*columns).order_by(*columns[:3]))]


def test_refreshing_from_any_day_gives_the_same_rows(app):
    _random_stats(seed=3)
    totals.refresh(START)
    db.session.commit()
    whole = _rows()
    # dense: every (hospital, specialty) pair has a row on every day from its first day to the last
    assert len({(r[1], r[2]) for r in whole if r[0] == START + timedelta(days=DAYS - 1)}) == \
        len({(r[1], r[2]) for r in whole})
    totals.refresh(START + timedelta(days=20))  # what the nightly job or a partial rebuild does
    db.session.commit()
    assert _rows() == whole
    totals.refresh(START - timedelta(days=30))
    db.session.commit()
    assert _rows() == whole


def test_a_changed_day_moves_every_later_total(app):
    hospitals = _random_stats(seed=5)
    totals.refresh(START)
    db.session.commit()
    scope, first, last = ReportScope(None), START, START + timedelta(days=DAYS - 1)
    before = dashboard.comparison(scope, first, last)[1]
    changed = db.session.scalar(select(DailyStat).where(DailyStat.day == START + timedelta(days=10))
                                .order_by(DailyStat.id).limit(1))
    changed.appointments += 100
    which = hospitals.index(changed.hospital_id)  # the rows are by name: Hospital A, B, C in the order made
    db.session.commit()
    totals.refresh(START + timedelta(days=10))
    db.session.commit()
    after = dashboard.comparison(scope, first, last)[1]
    for n, (old, new) in enumerate(zip(before, after, strict=True)):
        added = 100 if n == which else 0
        assert new.values["appointments"] == old.values["appointments"] + added
    _same(dashboard._trend_from_totals(scope, first, last, "week"),
          dashboard._trend_from_days(scope, first, last, "week"))


def test_no_statistics_no_rows(app):
    assert totals.refresh(START) == 0
    assert dashboard.trend(ReportScope(None), START, START + timedelta(days=7), "week") == []
    assert dashboard.comparison(ReportScope(None), START, START + timedelta(days=7)) == ("hospital", [])
    assert dashboard.access(ReportScope(None), START, START + timedelta(days=7)) == []
