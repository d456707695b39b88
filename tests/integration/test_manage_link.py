"""The signed "manage this appointment" link: in every appointment message, and cancel or move without a login."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, AuditEvent, OutboxMessage
from app.models.base import utcnow
from app.notifications import events
from app.notifications.render import render_email, render_sms
from app.services import booking

PHONE = "+447911123456"


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital", timezone="Europe/London", address="1 River Road")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Grey")
    make.schedule(doctor, hospital, horizon_days=30)
    return hospital, doctor


def slot(days: int = 3, hh: int = 9, mm: int = 0) -> datetime:
    day = (utcnow() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hh, mm)  # 09:00 UTC: 09:00 or 10:00 in London


def book(doctor, patient, start=None) -> Appointment:
    appointment = booking.book(None, patient, doctor, start or slot(), now=utcnow())
    db.session.commit()
    return appointment


def path_of(appointment: Appointment, page: str = "") -> str:
    return events.manage_link(appointment, page).removeprefix("http://localhost")


def fresh(appointment: Appointment) -> Appointment:
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def test_every_appointment_message_carries_the_manage_link(clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient(phone=PHONE))
    booking.reschedule(None, appointment, slot(hh=10), now=utcnow())
    db.session.commit()
    booking.cancel(None, appointment, "doctor ill")
    db.session.commit()
    messages = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert len(messages) == 6
    for row in messages:
        link = row.context["manage_link"]
        assert link.startswith("http://localhost/manage/")
        body = render_email(row).body if row.channel == "email" else render_sms(row)
        assert link in body, (row.template, row.channel)
    booked, moved = messages[0].context["manage_link"], messages[2].context["manage_link"]
    assert booked != moved  # the move gave the appointment a new link


def test_a_valid_link_shows_the_appointment_in_hospital_time(client, clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient())
    res = client.get(path_of(appointment))
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert "Dr Grey" in page and "Thames Riverside Hospital" in page and "Europe/London" in page
    assert res.headers["Cache-Control"] == "no-store" and res.headers["Referrer-Policy"] == "no-referrer"


def test_a_tampered_link_is_refused_and_changes_nothing(client, clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient())
    token = events.manage_token(appointment)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/manage/{forged}").status_code == 400
    assert client.post(f"/manage/{forged}/cancel", data={"reason": "x"}).status_code == 400
    assert client.get("/manage/not-a-token").status_code == 400
    other_key = events.URLSafeTimedSerializer("another-secret", salt=events.MANAGE_SALT)
    assert client.get(f"/manage/{other_key.dumps([appointment.id, 0])}").status_code == 400
    assert fresh(appointment).status == "scheduled"


def test_an_expired_link_is_gone(client, clinic, make, monkeypatch):
    _, doctor = clinic
    appointment = book(doctor, make.patient())
    path = path_of(appointment)
    monkeypatch.setattr(events, "utcnow", lambda: appointment.end + timedelta(minutes=1))
    res = client.post(path + "/cancel", data={"reason": "too late"})
    assert res.status_code == 410 and "expired" in res.get_data(as_text=True)
    monkeypatch.undo()
    # the serializer's own age cap answers 410 as well
    monkeypatch.setitem(events.LINK_PURPOSES, "manage", (events.MANAGE_SALT, "", -1))
    assert client.get(path).status_code == 410
    assert fresh(appointment).status == "scheduled"


def test_a_moved_appointments_old_link_dies(client, clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient())
    old = path_of(appointment)
    booking.reschedule(None, appointment, slot(hh=10), now=utcnow())
    db.session.commit()
    res = client.get(old)
    assert res.status_code == 410 and "moved" in res.get_data(as_text=True)
    assert client.get(path_of(fresh(appointment))).status_code == 200


def test_cancel_through_the_link(client, clinic, make):
    _, doctor = clinic
    patient = make.patient()
    appointment = book(doctor, patient)
    path = path_of(appointment)
    assert "Reason for cancelling" in client.get(path + "/cancel").get_data(as_text=True)
    assert client.post(path + "/cancel", data={"reason": ""}).status_code == 422
    res = client.post(path + "/cancel", data={"reason": "feeling better"})
    assert res.status_code == 302 and res.headers["Location"].endswith(path)
    appointment = fresh(appointment)
    assert appointment.status == "cancelled" and appointment.cancel_reason == "feeling better"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.cancel"))
    assert event.actor_id is None and event.comment == "via manage link"
    cancelled = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "appointment_cancelled"))
    assert cancelled.context["by"] == "patient"  # "as you asked", not "the hospital had to cancel"
    assert "cancelled" in client.get(path).get_data(as_text=True)  # the link still shows it, without actions
    assert client.get(path + "/cancel").status_code == 409


def test_reschedule_through_the_link(client, clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient(), slot(hh=9))
    path = path_of(appointment)
    page = client.get(path + "/reschedule")
    assert page.status_code == 200 and "Free times" in page.get_data(as_text=True)
    new_start = slot(hh=10, mm=30)
    res = client.post(path + "/reschedule", data={"start": new_start.isoformat() + "+00:00"})
    assert res.status_code == 302
    appointment = fresh(appointment)
    assert appointment.start == new_start and appointment.status == "scheduled"
    # the new link names the moved appointment at its new time; two links signed a second apart differ only in
    # their signing time, so the payloads are compared, and the new link works
    location = res.headers["Location"].removeprefix("http://localhost")
    assert location.split(".")[0] == path_of(appointment).split(".")[0] != path.split(".")[0]
    assert client.get(location).status_code == 200
    assert client.get(path).status_code == 410  # the old link died with the move
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.reschedule"))
    assert event.actor_id is None and event.comment == "via manage link"
    assert client.post(path_of(appointment) + "/reschedule", data={"start": "nonsense"}).status_code == 422


def test_reschedule_to_a_taken_time_is_refused(client, clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient(), slot(hh=9))
    book(doctor, make.patient(), slot(hh=10))
    res = client.post(path_of(appointment) + "/reschedule", data={"start": slot(hh=10).isoformat() + "+00:00"})
    assert res.status_code == 409
    assert fresh(appointment).start == slot(hh=9)


def test_inside_the_cutoff_the_link_shows_but_does_not_change(app, client, clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient(), slot(days=3))
    appointment.hospital.cancel_cutoff_hours = 24 * 5  # this hospital's cut-off puts the appointment inside it
    db.session.commit()
    assert "call the hospital" in client.get(path_of(appointment)).get_data(as_text=True)
    assert client.post(path_of(appointment) + "/cancel", data={"reason": "x"}).status_code == 409
    assert fresh(appointment).status == "scheduled"


def test_the_forms_need_a_csrf_token(app, client, clinic, make):
    _, doctor = clinic
    appointment = book(doctor, make.patient())
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        res = client.post(path_of(appointment) + "/cancel", data={"reason": "no token"})
        page = client.get(path_of(appointment) + "/cancel").get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert res.status_code == 400 and 'name="csrf_token"' in page
    assert fresh(appointment).status == "scheduled"
