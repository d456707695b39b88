"""`stats rebuild` and the nightly job fill the daily statistics from the rows of a day (docs/reports.md)."""
import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.jobs import rebuild_stats
from app.models import AccessStat, Appointment, DailyStat, Offer, QueueEntry, WaitlistEntry
from app.models.base import utcnow
from app.services.queue.operations import queue_of
from app.transaction import transaction

DAY = date(2026, 3, 2)  # a Monday, London on GMT: local time is UTC


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return datetime.combine(DAY, datetime.min.time()) + timedelta(days=days, hours=hour, minutes=minute)


@pytest.fixture
def clinic_day(make):
    """A doctor working 09:00-12:00 with a day of known bookings, queue tokens and waitlist offers."""
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital)
    patients = [make.patient() for _ in range(5)]

    def appointment(hour, minute, status, patient, created=at(9, days=-3), cancelled=None):
        row = Appointment(patient_id=patient.id, doctor_id=doctor.id, hospital_id=hospital.id, start=at(hour, minute),
                          end=at(hour, minute + 15), status=status, created_at=created, cancelled_at=cancelled,
                          fee=50, currency="GBP")
        db.session.add(row)
        return row

    first = appointment(9, 0, "completed", patients[0])
    appointment(9, 15, "no_show", patients[1])
    appointment(9, 30, "cancelled", patients[2], cancelled=at(8))  # late: within the 24 h cut-off
    hold = appointment(9, 30, "completed", patients[3], created=at(8, 30))  # the refill
    appointment(11, 45, "scheduled", patients[4], created=at(12, days=-10))  # a booking made long ago
    db.session.flush()
    queue = queue_of(hospital.id, doctor.id)
    db.session.add_all([
        QueueEntry(queue_id=queue.id, day=DAY, number=1, label="A-1", patient_id=patients[0].id, source="appointment",
                   appointment_id=first.id, status="completed", arrived_at=at(8, 50), called_at=at(9, 5),
                   started_at=at(9, 5), ended_at=at(9, 17)),
        QueueEntry(queue_id=queue.id, day=DAY, number=2, label="A-2", patient_id=patients[1].id, source="walkin",
                   status="completed", arrived_at=at(10), called_at=at(10, 25), started_at=at(10, 25),
                   ended_at=at(10, 33)),
    ])
    entry = WaitlistEntry(patient_id=patients[3].id, doctor_id=doctor.id, latest=DAY, status="booked")
    db.session.add(entry)
    db.session.flush()
    db.session.add(Offer(entry_id=entry.id, hold_id=hold.id, status="accepted", created_at=at(8, 10),
                         expires_at=at(8, 25)))
    db.session.commit()
    return hospital, doctor


def rows(model) -> list[tuple]:
    db.session.expire_all()
    columns = [c for c in model.__table__.columns if c.name != "id"]
    return [tuple(r) for r in db.session.execute(select(*columns).order_by(*columns[:4]))]


def test_rebuild_writes_the_known_figures_and_the_same_rows_twice(runner, clinic_day):
    hospital, doctor = clinic_day
    args = ["stats", "rebuild", "--from", "2026-02-28", "--to", "2026-03-03"]
    res = runner.invoke(args=args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {"days": 4, "daily_rows": 4, "access_rows": 4, "total_rows": 4}
    stat = db.session.scalar(select(DailyStat).where(DailyStat.day == DAY))
    assert (stat.hospital_id, stat.doctor_id, stat.specialty_id) == (hospital.id, doctor.id, doctor.specialty_id)
    assert (stat.offered_minutes, stat.booked_minutes, stat.used_minutes, stat.lost_minutes) == (180, 60, 30, 30)
    assert (stat.appointments, stat.completed, stat.no_shows, stat.late_cancellations) == (4, 2, 1, 1)
    assert (stat.offers, stat.offers_accepted, stat.holds, stat.holds_refilled) == (1, 1, 1, 1)
    assert (stat.walk_ins, stat.booked_arrivals, stat.wait_median, stat.consult_median) == (1, 1, 20.0, 10.0)
    # at the start of the day 09:00, 09:15 and 09:30 were taken (the cancellation came later), 09:45 on free:
    # the third free slot is 10:15
    access = db.session.scalar(select(AccessStat).where(AccessStat.day == DAY))
    assert access.third_next_days == round((10 * 60 + 15) / 1440, 2)
    before = rows(DailyStat), rows(AccessStat)
    assert runner.invoke(args=args).exit_code == 0
    assert (rows(DailyStat), rows(AccessStat)) == before


def test_the_nightly_job_rebuilds_yesterday(app, clinic_day):
    assert rebuild_stats(now=at(3, days=1)) == 1
    assert [r[0] for r in rows(DailyStat)] == [DAY]
    with transaction():
        db.session.execute(DailyStat.__table__.update().values(no_shows=99))  # hand-edited figures go again
    rebuild_stats(now=at(3, days=1))
    assert db.session.scalar(select(DailyStat.no_shows)) == 1


@pytest.mark.parametrize(("first", "last", "words"), [
    ("2026-03-05", "2026-03-01", "ends before it starts"),
    ("2026-03-01", "2099-01-01", "reaches into the future"),
    ("2024-01-01", "2026-03-01", "longer than 366 days"),
])
def test_periods_that_cannot_be_rebuilt_are_refused_with_a_clear_message(runner, first, last, words):
    res = runner.invoke(args=["stats", "rebuild", "--from", first, "--to", last])
    assert res.exit_code == 2 and words in res.output
    assert db.session.scalar(select(DailyStat.id)) is None


def test_the_region_seed_with_history_brings_outcomes_and_their_statistics(app, runner):
    from app.demo.region import seed_region

    seed_region(2, hospitals=2, doctors=4, patients=40, days=2, history_days=3, echo=None)
    past = dict(db.session.execute(select(Appointment.status, func.count()).where(Appointment.start < utcnow())
                                   .group_by(Appointment.status)).all())
    assert past.get("completed", 0) > 0 and past.get("no_show", 0) + past.get("cancelled", 0) > 0
    built = db.session.scalar(select(func.count(DailyStat.id)))
    assert built > 0
    waited = db.session.scalar(select(func.sum(DailyStat.wait_count)))
    assert waited == db.session.scalar(select(func.count(QueueEntry.id))) > 0  # everyone who came was called
    assert db.session.scalar(select(func.sum(DailyStat.walk_ins))) > 0
    # the seed's statistics are what a rebuild makes of its rows
    yesterday = utcnow().date() - timedelta(days=1)
    before = rows(DailyStat)
    assert runner.invoke(args=["stats", "rebuild", "--from", (yesterday - timedelta(days=2)).isoformat(),
                               "--to", yesterday.isoformat()]).exit_code == 0
    assert rows(DailyStat) == before
    refused = runner.invoke(args=["demo", "seed", "--scale", "small", "--history-days", "3"])
    assert refused.exit_code == 2 and "--history-days needs --scale region" in refused.output
