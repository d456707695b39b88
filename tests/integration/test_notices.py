"""Per-hospital reminder hours, doctor's leave that touches booked patients, and staff notices."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import send_reminders
from app.models import Hospital, OutboxMessage, Role
from app.models.base import utcnow
from app.services import booking
from tests.integration.statements import sent_statements

PHONE = "+447911123456"


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital", timezone="UTC", address="1 River Road")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Grey")
    make.schedule(doctor, hospital, horizon_days=30)
    return hospital, doctor


def slot(days: int = 3, hh: int = 9, mm: int = 0) -> datetime:
    day = (utcnow() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hh, mm)


def book(doctor, patient, start=None, now=None):
    appointment = booking.book(None, patient, doctor, start or slot(), now=now or utcnow())
    db.session.commit()
    return appointment


def rows(**where) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


# --- reminder hours per hospital

def test_a_hospitals_own_reminder_hours_replace_the_default(clinic, make):
    hospital, doctor = clinic
    other = make.hospital(name="Elsewhere", timezone="UTC")
    other_doctor = make.doctor(other, name="Dr Blue")
    make.schedule(other_doctor, other, horizon_days=30)
    hospital.reminder_hours = "48,6"
    db.session.commit()
    start = slot(days=5)
    mine = book(doctor, make.patient(), start, now=start - timedelta(days=4))
    theirs = book(other_doctor, make.patient(), start, now=start - timedelta(days=4))
    for appointment in (mine, theirs):
        appointment.created_at = start - timedelta(days=4)
    db.session.commit()

    assert send_reminders(now=start - timedelta(hours=47)) == 1  # 48 h: only the hospital that asked for it
    assert [r.dedupe_key.split(":")[3] for r in rows(template="appointment_reminder")] == ["48h"]
    assert send_reminders(now=start - timedelta(hours=23)) == 1  # the default 24 h: only the other one
    assert rows(template="appointment_reminder")[-1].appointment_id == theirs.id
    assert send_reminders(now=start - timedelta(hours=5)) == 1  # 6 h
    assert send_reminders(now=start - timedelta(hours=1, minutes=50)) == 1  # the default 2 h
    by_appointment = {}
    for r in rows(template="appointment_reminder"):
        by_appointment.setdefault(r.appointment_id, []).append(r.dedupe_key.split(":")[3])
    assert by_appointment == {mine.id: ["48h", "6h"], theirs.id: ["24h", "2h"]}


def test_unreadable_reminder_hours_fall_back_to_the_default(clinic, make):
    hospital, doctor = clinic
    hospital.reminder_hours = "soon"
    db.session.commit()
    start = slot(days=3)
    appointment = book(doctor, make.patient(), start, now=start - timedelta(days=2))
    appointment.created_at = start - timedelta(days=2)
    db.session.commit()
    assert send_reminders(now=start - timedelta(hours=23)) == 1


def test_admin_sets_reminder_hours_on_the_hospital_form(client, make, auth, clinic):
    hospital, _ = clinic
    admin = make.user(Role.ADMIN)
    auth.login(admin.email)
    form = dict(name=hospital.name, city="London", country="GB", address="1 River Road", phone="",
                lat="51.5", lon="-0.12", timezone="UTC", cancel_cutoff_hours="24", noshow_grace_minutes="30",
                offer_hold_minutes="15")
    page = client.get(f"/admin/hospitals/{hospital.id}/edit").get_data(as_text=True)
    assert 'name="reminder_hours"' in page
    res = client.post(f"/admin/hospitals/{hospital.id}/edit", data={**form, "reminder_hours": "2, 48,24"})
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(Hospital, hospital.id).reminder_hours == "48,24,2"
    res = client.post(f"/admin/hospitals/{hospital.id}/edit", data={**form, "reminder_hours": "24,0"})
    assert res.status_code == 422 and "between 1 and 336" in res.get_data(as_text=True)
    assert client.post(f"/admin/hospitals/{hospital.id}/edit", data={**form, "reminder_hours": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Hospital, hospital.id).reminder_hours is None


# --- doctor's leave over booked appointments

def _leave(doctor, hospital, start, end, available=False):
    from app.services.availability import resource_for_doctor
    from app.services.availability.schedules import add_exception

    row = add_exception(None, resource_for_doctor(doctor.id).id, hospital.id, start, end, available, "conference")
    db.session.commit()
    return row


def test_leave_tells_only_the_affected_patients_once_with_a_rebook_link(client, clinic, make):
    from app.notifications import events
    from app.notifications.render import render_email, render_sms

    hospital, doctor = clinic
    first = book(doctor, make.patient(phone=PHONE), slot(hh=9))
    second = book(doctor, make.patient(), slot(hh=9, mm=45))
    outside = book(doctor, make.patient(phone=PHONE), slot(hh=11))
    gone = book(doctor, make.patient(), slot(hh=9, mm=15))
    booking.cancel(None, gone, "no longer needed")
    db.session.commit()

    _leave(doctor, hospital, slot(hh=11), slot(hh=11, mm=30), available=True)  # extra time: nobody hears
    assert rows(template="appointment_leave") == []
    exception = _leave(doctor, hospital, slot(hh=8), slot(hh=10))
    notices = rows(template="appointment_leave")
    assert sorted((r.appointment_id, r.channel) for r in notices) == sorted(
        [(first.id, "email"), (first.id, "sms"), (second.id, "email")])
    assert {r.dedupe_key for r in notices if r.appointment_id == first.id} == {
        f"appt:{first.id}:leave:{exception.id}:email", f"appt:{first.id}:leave:{exception.id}:sms"}
    assert events.doctor_leave(exception) == 0  # once per appointment and exception
    db.session.commit()
    assert len(rows(template="appointment_leave")) == 3
    assert outside.id not in {r.appointment_id for r in notices}

    email = next(r for r in notices if r.channel == "email" and r.appointment_id == first.id)
    message = render_email(email)
    assert "not available" in message.subject and "stays booked" in message.body
    link = email.context["rebook_link"]
    assert link.startswith("http://localhost/manage/") and link.endswith("/reschedule") and link in message.body
    assert link in render_sms(next(r for r in notices if r.channel == "sms"))
    db.session.expire_all()
    assert {a.status for a in (first, second)} == {"scheduled"}  # booked until the patient or staff act

    page = client.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200 and "Free times" in page.get_data(as_text=True)
    res = client.post(link.removeprefix("http://localhost"), data={"start": slot(hh=11, mm=15).isoformat() + "+00:00"})
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(first), first.id).start == slot(hh=11, mm=15)


def test_leave_over_the_api_queues_the_notice(client, runner, clinic, make):
    hospital, doctor = clinic
    appointment = book(doctor, make.patient())
    staff = make.user(Role.STAFF, hospital)
    token = runner.invoke(args=["users", "token", "--email", staff.email]).output.strip().splitlines()[-1]
    res = client.post(f"/api/v1/doctors/{doctor.id}/exceptions", headers={"Authorization": f"Bearer {token}"},
                      json={"start": slot(hh=8).isoformat() + "Z", "end": slot(hh=12).isoformat() + "Z",
                            "available": False, "reason": "ill"})
    assert res.status_code in (200, 201), res.get_json()
    assert [r.appointment_id for r in rows(template="appointment_leave")] == [appointment.id]


# --- staff notices

def notices_of(user):
    from app.models import StaffNotice

    db.session.expire_all()
    return list(db.session.scalars(select(StaffNotice).where(StaffNotice.user_id == user.id)
                                   .order_by(StaffNotice.id)))


def test_bookings_moves_and_cancellations_notify_the_hospitals_staff_and_the_doctor(clinic, make):
    hospital, doctor = clinic
    desk, desk2 = make.user(Role.STAFF, hospital), make.user(Role.STAFF, hospital)
    nurse = make.user(Role.NURSE, hospital)
    elsewhere = make.user(Role.STAFF, make.hospital(name="Elsewhere"))
    retired = make.user(Role.STAFF, hospital)
    retired.active = False
    db.session.commit()
    patient = make.patient(name="Ada Lovelace")

    appointment = book(doctor, patient, slot(hh=9))
    booking.reschedule(None, appointment, slot(hh=10), now=utcnow())
    db.session.commit()
    booking.cancel(None, appointment, "doctor ill")
    db.session.commit()

    for reader in (desk, desk2, doctor.user):
        assert [n.kind for n in notices_of(reader)] == ["booked", "moved", "cancelled"]
    for outsider in (nurse, elsewhere, retired, patient.user):
        assert notices_of(outsider) == []
    booked, moved, cancelled = notices_of(desk)
    assert booked.appointment_id == appointment.id and booked.hospital_id == hospital.id and booked.read_at is None
    assert "Ada Lovelace" in booked.text and "Dr Grey" in booked.text and "09:00" in booked.text
    assert "09:00" in moved.text and "10:00" in moved.text
    assert "Cancelled by the hospital" in cancelled.text and "doctor ill" in cancelled.text


def test_the_one_who_acted_gets_no_notice_and_muted_work_none(clinic, make):
    from app.notifications import events

    hospital, doctor = clinic
    desk, other = make.user(Role.STAFF, hospital), make.user(Role.STAFF, hospital)
    appointment = booking.book(desk.id, make.patient(), doctor, slot(hh=9), now=utcnow())
    db.session.commit()
    assert notices_of(desk) == [] and [n.kind for n in notices_of(other)] == ["booked"]
    with events.muted():
        booking.cancel(None, appointment, "demo data")
        db.session.commit()
    assert len(notices_of(other)) == 1


def test_a_cancellation_through_the_manage_link_says_the_patient_did_it(client, clinic, make):
    from app.notifications import events

    hospital, doctor = clinic
    desk = make.user(Role.STAFF, hospital)
    appointment = book(doctor, make.patient())
    path = events.manage_link(appointment, "cancel").removeprefix("http://localhost")
    assert client.post(path, data={"reason": "moved away"}).status_code == 302
    cancelled = notices_of(desk)[-1]
    assert cancelled.kind == "cancelled" and "by the patient" in cancelled.text and "moved away" in cancelled.text


def test_german_readers_get_german_notices(clinic, make):
    hospital, doctor = clinic
    desk = make.user(Role.STAFF, hospital)
    desk.language = "de"
    db.session.commit()
    book(doctor, make.patient())
    (notice,) = notices_of(desk)
    assert notice.text.startswith("Gebucht:") and "UTC" in notice.text


def test_notices_page_badge_and_mark_all_read(client, auth, clinic, make):
    hospital, doctor = clinic
    desk = make.user(Role.STAFF, hospital)
    book(doctor, make.patient(), slot(hh=9))
    book(doctor, make.patient(), slot(hh=10))
    auth.login(desk.email)
    home = client.get("/staff/").get_data(as_text=True)
    assert 'data-unread="2"' in home and "/notices/" in home  # the navbar badge
    page = client.get("/notices/").get_data(as_text=True)
    assert page.count('data-notice-kind="booked"') == 2 and "Mark all read" in page
    res = client.post("/notices/read-all")
    assert res.status_code == 302
    assert all(n.read_at is not None for n in notices_of(desk))
    page = client.get("/notices/").get_data(as_text=True)
    assert "data-unread=" not in page and "Mark all read" not in page
    book(doctor, make.patient(), slot(hh=11))
    assert 'data-unread="1"' in client.get("/notices/").get_data(as_text=True)


def test_only_hospital_roles_see_notices(client, auth, clinic, make):
    assert client.get("/notices/").status_code == 302  # to the login page
    patient = make.patient()
    auth.login(patient.user.email)
    assert client.get("/notices/").status_code == 403
    assert "bi-bell" not in client.get("/patient/").get_data(as_text=True)
    auth.logout()
    desk = make.user(Role.STAFF, make.hospital(name="Quiet"))
    auth.login(desk.email)
    assert client.get("/notices/").status_code == 200
    assert notices_of(patient.user) == []


def test_staff_notices_also_go_out_by_email_unless_switched_off(clinic, make, app, monkeypatch):
    hospital, doctor = clinic
    monkeypatch.setitem(app.config, "STAFF_NOTICE_EMAIL", True)
    desk = make.user(Role.STAFF, hospital)
    book(doctor, make.patient(phone=PHONE))
    mails = rows(template="staff_notice")
    assert sorted(m.recipient for m in mails) == sorted([desk.email, doctor.user.email])
    assert all(m.context["link"].endswith("/notices/") and m.context["text"] for m in mails)
    monkeypatch.setitem(app.config, "STAFF_NOTICE_EMAIL", False)
    book(doctor, make.patient(), slot(hh=10))
    assert len(rows(template="staff_notice")) == 2


def test_a_booking_writes_every_readers_notice_and_e_mail_in_one_statement_each(clinic, make, app, monkeypatch):
    """However many staff the hospital has (docs/benchmarks.md, "Start-up and plain inserts")."""
    hospital, doctor = clinic
    monkeypatch.setitem(app.config, "STAFF_NOTICE_EMAIL", True)
    desks = [make.user(Role.STAFF, hospital) for _ in range(6)]
    db.session.commit()
    with sent_statements() as sent:
        book(doctor, make.patient())  # a patient without a phone: no SMS, and the e-mail queued on its own
    assert sum(1 for s in sent if s.startswith("INSERT INTO staff_notices")) == 1
    assert sum(1 for s in sent if s.startswith("INSERT INTO outbox")) == 2  # the readers' e-mails; the patient's
    for reader in (*desks, doctor.user):
        assert [n.kind for n in notices_of(reader)] == ["booked"]
    mails = rows(template="staff_notice")
    assert sorted(m.recipient for m in mails) == sorted(u.email for u in (*desks, doctor.user))
    assert len({m.dedupe_key for m in mails}) == len(mails) and all(m.status == "pending" for m in mails)


def test_a_leave_notice_for_an_appointment_cancelled_meanwhile_is_not_sent(clinic, make):
    from app.notifications.outbox import deliver_pending

    hospital, doctor = clinic
    appointment = book(doctor, make.patient(), slot(hh=9))
    _leave(doctor, hospital, slot(hh=8), slot(hh=10))
    booking.cancel(None, appointment, "booked elsewhere")
    db.session.commit()
    deliver_pending(ignore_backoff=True)
    (notice,) = rows(template="appointment_leave")
    assert notice.status == "skipped" and "cancelled" in notice.last_error
