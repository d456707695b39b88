"""`flask demo seed --scale small` leaves a live clinic and a waitlist offer for the demo logins (app.demo_clinic):
the queue pages and the waitlist pages have something to show right after `make run`, whatever the time of day."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.demo import DEMO_PASSWORD, seed_small
from app.extensions import db
from app.jobs import close_queues
from app.models import (
    Appointment,
    AvailabilityException,
    Doctor,
    Hospital,
    Offer,
    Patient,
    QueueEntry,
    User,
    Vitals,
    WaitlistEntry,
)
from app.models.base import utcnow
from app.services import queue as queue_service
from tests.integration.demo_checks import doctors_sharing_a_room, rooms_in_use


def _hospital() -> Hospital:
    return db.session.scalar(select(Hospital).where(Hospital.name == "Thames Riverside Hospital"))


def _doctor(login: str) -> Doctor:
    return db.session.scalar(select(Doctor).join(User, User.id == Doctor.user_id).where(
        User.email == f"{login}@waitless.example"))


def _patient(login: str) -> Patient:
    return db.session.scalar(select(Patient).join(User, User.id == Patient.user_id).where(
        User.email == f"{login}@waitless.example"))


def _check_clinic(now: datetime) -> dict[str, list]:
    """The seeded queue at `now`: doctor1 in full swing, doctor7's line waiting; returns the two boards."""
    hospital = _hospital()
    boards = {login: queue_service.queue_for(hospital.id, _doctor(login).id, now=now)
              for login in ("doctor1", "doctor7")}
    first = boards["doctor1"]
    # now serving on top, then the line (an emergency that just arrived leads it), then the one seen
    assert [r.entry.status for r in first] == ["in_progress", "called", *["waiting"] * 6, "completed"]
    assert first[2].entry.priority == "emergency" and first[2].position == 1
    assert {r.entry.priority for r in first} == {"normal", "urgent", "vip", "emergency"}
    assert Counter(r.entry.source for r in first) == {"appointment": 4, "walkin": 5}
    assert all(r.estimated_wait_minutes is not None for r in first if r.entry.status == "waiting")
    seeing, seen = first[0].entry, first[-1].entry
    assert seeing.encounter.vitals and seeing.appointment.status == "in_progress"
    assert seen.encounter.vitals and seen.encounter.notes and seen.appointment.status == "completed"
    assert seen.started_at < seen.ended_at <= now
    assert [r.entry.status for r in boards["doctor7"]] == ["waiting"] * 3
    assert all(r.entry.label.startswith("CAR-") for r in first)
    return boards


def _check_waitlist(now: datetime) -> Offer:
    entries = db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)).all()
    assert len(entries) == 4 and {e.status for e in entries} == {"waiting"}
    patient1 = _patient("patient1")
    mine = next(e for e in entries if e.patient_id == patient1.id)
    assert mine.current_appointment is not None and mine.current_appointment.status == "scheduled"
    (offer,) = db.session.scalars(select(Offer).where(Offer.entry_id == mine.id)).all()
    assert offer.status == "open" and offer.expires_at > now + timedelta(minutes=60)
    hold = offer.hold
    assert hold.status == core.HELD and hold.doctor_id == _doctor("doctor1").id and hold.start > now
    assert hold.start < mine.current_appointment.start  # an earlier slot than the one patient1 has
    # the slot was freed by another patient's cancellation, as on the site
    freed = db.session.scalar(select(Appointment).where(Appointment.status == "cancelled",
                                                        Appointment.start == hold.start))
    assert freed is not None and freed.patient_id != patient1.id and freed.doctor_id == hold.doctor_id
    return offer


def test_the_seed_leaves_a_live_clinic_and_an_open_offer_and_the_pages_show_them(runner, client, auth):
    res = runner.invoke(args=["demo", "seed", "--scale", "small", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert "Today's demo clinic at Thames Riverside Hospital" in res.output
    assert "it is offered to patient1" in res.output
    assert doctors_sharing_a_room() == [] and rooms_in_use() == 20  # one room, one consultation
    now = utcnow()
    boards = _check_clinic(now)
    offer = _check_waitlist(now)
    hospital = _hospital()
    labels = [r.entry.label for rows in boards.values() for r in rows]
    waiting_names = [r.entry.patient.name for r in boards["doctor1"] if r.entry.status == "waiting"]

    auth.login("staff@waitless.example", DEMO_PASSWORD)
    desk = client.get(f"/staff/desk/{hospital.id}").get_data(as_text=True)
    assert all(label in desk for label in labels) and waiting_names[0] in desk
    assert desk.index(boards["doctor1"][0].entry.label) < desk.index(boards["doctor1"][2].entry.label)
    staff_waitlist = client.get("/staff/waitlist").get_data(as_text=True)
    assert _patient("patient1").name in staff_waitlist
    auth.logout()

    auth.login("nurse@waitless.example", DEMO_PASSWORD)
    station = client.get(f"/nurse/{hospital.id}").get_data(as_text=True)
    assert all(label in station for label in labels) and "vitals taken" in station
    auth.logout()

    auth.login("doctor1@waitless.example", DEMO_PASSWORD)
    day = client.get(f"/doctor/day/{hospital.id}").get_data(as_text=True)
    seeing = boards["doctor1"][0].entry
    assert seeing.patient.name in day and "6 waiting" in day
    auth.logout()

    display = client.get(f"/kiosk/{hospital.id}/display").get_data(as_text=True)
    called = boards["doctor1"][1].entry
    assert f'data-called-token="{called.label}"' in display and called.patient.name not in display

    auth.login("patient1@waitless.example", DEMO_PASSWORD)
    page = client.get("/patient/waitlist").get_data(as_text=True)
    assert f'data-offer="{offer.id}"' in page and "Held for you until" in page


def _picture() -> tuple[list, list]:
    db.session.expire_all()
    return ([(e.label, e.patient.name, e.priority, e.status, e.source)
             for e in db.session.scalars(select(QueueEntry).order_by(QueueEntry.id))],
            [(e.patient.name, e.urgency, e.latest) for e in db.session.scalars(
                select(WaitlistEntry).order_by(WaitlistEntry.id))])


# Monday 2 March 2026 (GMT = UTC in London): in clinic hours, in the evening, and just after midnight on a Saturday
@pytest.mark.parametrize("now, extra_session, again", [
    (datetime(2026, 3, 2, 10, 40), False, False),
    (datetime(2026, 3, 4, 21, 30), True, True),
    (datetime(2026, 3, 7, 0, 20), True, False),
])
def test_any_time_of_day_gives_the_same_clinic_and_the_queue_stays_open(app, now, extra_session, again):
    seed_small(1, now=now)
    _check_clinic(now)
    _check_waitlist(now)
    tz = ZoneInfo("Europe/London")
    assert all(core.local_day(e.arrived_at, tz) == core.local_day(now, tz)
               for e in db.session.scalars(select(QueueEntry)))
    added = db.session.scalars(select(AvailabilityException).where(AvailabilityException.available)).all()
    assert len(added) == (2 if extra_session else 0)  # doctor1 and doctor7
    assert db.session.scalar(select(func.count(Vitals.id))) == 2
    picture = _picture()
    # the close_queues job leaves the demo queue open for an hour at least
    assert close_queues(now=now + timedelta(minutes=59)) == 0
    if again:  # the same seed at the same moment gives the same clinic and waitlist
        from tests.conftest import _empty_tables

        db.session.rollback()  # MariaDB: a fresh snapshot after the tables are emptied
        _empty_tables()
        seed_small(1, now=now)
        assert _picture() == picture
