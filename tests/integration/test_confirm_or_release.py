"""The confirm-or-release link of high-risk bookings (docs/noshow.md, "Confirm or release"): the extra reminder,
one answer per link, a release that frees the slot to the waitlist, and the refusals of replayed, forged, moved
and expired links."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, AuditEvent, Offer, OutboxMessage
from app.models.base import utcnow
from app.notifications import events
from app.notifications.render import render_email
from app.scheduling.codes import Status
from app.scheduling.noshow_features import HIGH_FROM
from app.services import booking, waitlist
from app.services.booking import reminders


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital")
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty, name="Dr Ada Lovelace")
    make.schedule(doctor, hospital)
    return hospital, specialty, doctor


def _booked(make, doctor, p: float, minute: int = 0) -> Appointment:
    """A booking made two weeks ago for three days from now at 10:``minute`` UTC, with the model's ``p``."""
    start = (utcnow() + timedelta(days=3)).replace(hour=10, minute=minute, second=0, microsecond=0)
    appointment = booking.book(None, make.patient(), doctor, start, now=start - timedelta(days=14))
    appointment.noshow_p, appointment.noshow_model = p, "test/2016-05-17/abc"
    appointment.created_at = start - timedelta(days=14)
    db.session.commit()
    return appointment


def _confirm_rows() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "appointment_confirm")))


def _token(link: str) -> str:
    return link.rsplit("/", 1)[-1]


def test_only_high_risk_bookings_get_the_extra_reminder_once(clinic, make):
    _, _, doctor = clinic
    high = _booked(make, doctor, HIGH_FROM + 0.05)
    low = _booked(make, doctor, HIGH_FROM - 0.05, 15)
    late = _booked(make, doctor, 0.9, 30)
    late.created_at = late.start - timedelta(hours=80)  # booked just before the request's moment: no request
    db.session.commit()
    now = high.start - timedelta(hours=71)
    reminders.send_reminders((24, 2), now, confirm_hours=72)
    reminders.send_reminders((24, 2), now + timedelta(minutes=5), confirm_hours=72)  # the job runs again
    db.session.commit()
    rows = _confirm_rows()
    assert {r.appointment_id for r in rows} == {high.id} and len({r.channel for r in rows}) == len(rows)
    link = rows[0].context["attend_link"]
    assert "/manage/attend/" in link
    email = render_email(next(r for r in rows if r.channel == "email"))
    assert email.subject.startswith("Please confirm your appointment") and link in email.body and link in email.html
    assert low.id not in {r.appointment_id for r in rows} and late.id not in {r.appointment_id for r in rows}
    assert reminders.send_confirm_requests(0, now) == 0  # NOSHOW_CONFIRM_HOURS=0 turns the requests off


def test_confirm_once_then_the_link_is_refused(clinic, make, client):
    _, _, doctor = clinic
    appointment = _booked(make, doctor, 0.6)
    token = _token(events.attendance_link(appointment))
    page = client.get(f"/manage/attend/{token}")
    assert page.status_code == 200 and "I am coming" in page.get_data(as_text=True)
    assert db.session.get(Appointment, appointment.id).attendance_answer is None  # opening changes nothing
    res = client.post(f"/manage/attend/{token}", data={"confirm": "I am coming"})
    assert res.status_code == 302 and "/manage/" in res.headers["Location"]
    db.session.expire_all()
    again = db.session.get(Appointment, appointment.id)
    assert (again.attendance_answer, again.status) == ("confirmed", Status.SCHEDULED)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "appointment.confirm"))
    # replayed: refused, whatever it asks now
    for replay in (client.get(f"/manage/attend/{token}"),
                   client.post(f"/manage/attend/{token}", data={"release": "x"})):
        assert replay.status_code == 410 and 'data-reason="used"' in replay.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == Status.SCHEDULED


def test_release_cancels_and_offers_the_slot_to_the_waitlist(clinic, make, client):
    _, specialty, doctor = clinic
    appointment = _booked(make, doctor, 0.7)
    waiting = make.patient()
    waitlist.join(None, waiting, waitlist.Wish(specialty_id=specialty.id,
                                               latest=appointment.start.date() + timedelta(days=5)), now=utcnow())
    db.session.commit()
    token = _token(events.attendance_link(appointment))
    res = client.post(f"/manage/attend/{token}", data={"release": "I cannot come"})
    assert res.status_code == 302
    db.session.expire_all()
    released = db.session.get(Appointment, appointment.id)
    assert (released.status, released.attendance_answer) == (Status.CANCELLED, "released")
    assert "confirm-or-release" in released.cancel_reason
    offer = db.session.scalar(select(Offer))
    assert offer is not None and db.session.get(Appointment, offer.hold_id).start == appointment.start
    assert client.post(f"/manage/attend/{token}", data={"release": "x"}).status_code == 410


def test_forged_foreign_moved_and_expired_links_are_refused(clinic, make, client):
    _, _, doctor = clinic
    appointment = _booked(make, doctor, 0.6)
    token = _token(events.attendance_link(appointment))
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert client.get(f"/manage/attend/{forged}").status_code == 400
    assert client.post(f"/manage/attend/{forged}", data={"release": "x"}).status_code == 400
    # a manage link's token is signed for another purpose: it opens no answer page
    assert client.get(f"/manage/attend/{events.manage_token(appointment)}").status_code == 400
    with pytest.raises(events.ManageLinkError) as over:
        events.read_attendance_token(token, now=appointment.start)
    assert (over.value.reason, over.value.status) == ("expired", 410)
    booking.reschedule(None, appointment, appointment.start + timedelta(days=1), now=utcnow())
    db.session.commit()
    res = client.post(f"/manage/attend/{token}", data={"release": "x"})
    assert res.status_code == 410 and 'data-reason="moved"' in res.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == Status.SCHEDULED


def test_release_after_the_cutoff_is_refused_and_nothing_is_recorded(clinic, make, client):
    hospital, _, doctor = clinic
    hospital.cancel_cutoff_hours = 24 * 10
    db.session.commit()
    appointment = _booked(make, doctor, 0.6)
    token = _token(events.attendance_link(appointment))
    res = client.post(f"/manage/attend/{token}", data={"release": "x"})
    assert res.status_code == 409 and "alert-danger" in res.get_data(as_text=True)
    db.session.expire_all()
    kept = db.session.get(Appointment, appointment.id)
    assert (kept.status, kept.attendance_answer) == (Status.SCHEDULED, None)
    assert client.post(f"/manage/attend/{token}", data={"confirm": "x"}).status_code == 302  # it may still confirm

