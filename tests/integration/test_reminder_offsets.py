"""Reminders per appointment type (docs/operations.md, "Reminders"): the offsets on the admin form and the API,
each offset sent once per appointment (also with two workers), the confirm and cancel links, the desk's
"Confirmed", the waitlist offered a cancelled slot at once, and the refusals of forged, replayed and stale links."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Appointment, AppointmentType, AuditEvent, Offer, OutboxMessage, Role, SentReminder
from app.models.base import utcnow
from app.notifications import events
from app.notifications.render import render_email, render_sms
from app.scheduling import reminders as offsets_core
from app.scheduling.codes import Status
from app.services import booking, waitlist
from app.services.booking import reminders
from tests.integration.racing import race
from tests.integration.test_api import token_for

PHONE = "+447700900123"
TYPE_FORM = dict(code="procedure", name="Procedure", kind="new", duration_minutes="30", fee="0")


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital", timezone="UTC")
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty, name="Dr Ada Lovelace")
    make.schedule(doctor, hospital, horizon_days=30)
    db.session.add_all([
        AppointmentType(hospital_id=hospital.id, code="procedure", name="Procedure", kind="new", fee=Decimal(0),
                        duration_minutes=15, reminder_offsets="168,24"),
        AppointmentType(hospital_id=hospital.id, code="consult", name="Consultation", kind="new", fee=Decimal(0),
                        duration_minutes=15, reminder_offsets="2")])
    db.session.commit()
    return hospital, specialty, doctor


def _kind(hospital, code: str) -> AppointmentType:
    db.session.expire_all()
    return db.session.scalar(select(AppointmentType).where(AppointmentType.hospital_id == hospital.id,
                                                           AppointmentType.code == code))


def _booked(make, doctor, code: str, days: int = 10, hour: int = 10, **patient) -> Appointment:
    """Booked three weeks ahead of its start, so every offset's moment came after the booking."""
    start = (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    appointment = booking.book(None, make.patient(**patient), doctor, start, appointment_type=code,
                               now=start - timedelta(days=21))
    appointment.created_at = start - timedelta(days=21)
    db.session.commit()
    return appointment


def _reminder_rows(appointment: Appointment) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "appointment_reminder", OutboxMessage.appointment_id == appointment.id)
        .order_by(OutboxMessage.id)))


def _token(link: str) -> str:
    return link.rsplit("/", 1)[-1]


# --- the offsets

@pytest.mark.parametrize("text, hours", [("7d, 1d", (168, 24)), ("2h", (2,)), ("1d,2h, 48", (48, 24, 2)),
                                         ("  ", None), (None, None)])
def test_offsets_read_days_and_hours(text, hours):
    assert offsets_core.parse_offsets(text, horizon_days=30) == hours


@pytest.mark.parametrize("text, code", [("31d", "beyond_horizon"), ("0h", "not_positive"), ("soon", "unreadable"),
                                        ("1d, 24h", "repeated"), ("5d,4d,3d,2d,1d", "too_many"), ("1d,", "unreadable"),
                                        ("-2h", "unreadable")])
def test_bad_offsets_name_what_is_wrong(text, code):
    with pytest.raises(offsets_core.OffsetError) as err:
        offsets_core.parse_offsets(text, horizon_days=30)
    assert err.value.code == code
    assert offsets_core.format_offsets((168, 24, 2)) == "7d, 1d, 2h"


def test_admin_sets_offsets_on_the_type_form_and_bad_input_saves_nothing(client, make, auth, clinic):
    hospital, _, _ = clinic
    auth.login(make.user(Role.ADMIN, hospital).email)
    kind = _kind(hospital, "procedure")
    page = client.get(f"/admin/appointment-types/{kind.id}/edit").get_data(as_text=True)
    assert 'name="reminder_offsets"' in page and 'value="7d, 1d"' in page and "30 days" in page
    res = client.post(f"/admin/appointment-types/{kind.id}/edit", data={**TYPE_FORM, "reminder_offsets": "3d, 2h"})
    assert res.status_code == 302 and _kind(hospital, "procedure").reminder_offsets == "72,2"
    update = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_type.update")).all()[-1]
    assert (update.before["reminder_offsets"], update.after["reminder_offsets"]) == ("168,24", "72,2")
    # longer than the horizon: the field says so, and the name changed in the same post is not saved either
    res = client.post(f"/admin/appointment-types/{kind.id}/edit",
                      data={**TYPE_FORM, "name": "Renamed", "reminder_offsets": "45d, 1d"})
    body = res.get_data(as_text=True)
    assert res.status_code == 422 and "longer than the booking horizon of 30 days" in body and "is-invalid" in body
    assert (_kind(hospital, "procedure").name, _kind(hospital, "procedure").reminder_offsets) == ("Procedure", "72,2")
    res = client.post(f"/admin/appointment-types/{kind.id}/edit", data={**TYPE_FORM, "reminder_offsets": "0h"})
    assert res.status_code == 422 and "more than 0" in res.get_data(as_text=True)
    res = client.post(f"/admin/appointment-types/{kind.id}/edit", data={**TYPE_FORM, "reminder_offsets": ""})
    assert res.status_code == 302 and _kind(hospital, "procedure").reminder_offsets is None
    assert "default" in client.get(f"/admin/hospitals/{hospital.id}").get_data(as_text=True)


def test_api_reads_and_sets_offsets_for_the_hospitals_admin_only(client, runner, make, clinic):
    hospital, _, _ = clinic
    kind = _kind(hospital, "procedure")
    other_hospital = make.hospital(name="Elsewhere")
    url = f"/api/v1/appointment-types/{kind.id}/reminders"
    assert client.get(url).status_code == 401
    foreign = token_for(runner, make.user(Role.ADMIN, other_hospital).email)
    assert client.get(url, headers=foreign).status_code == 404
    assert client.put(url, json={"offsets": "1d"}, headers=foreign).status_code == 404
    assert client.get(url, headers=token_for(runner, make.user(Role.STAFF, hospital).email)).status_code == 404
    admin = token_for(runner, make.user(Role.ADMIN, hospital).email)
    got = client.get(url, headers=admin).get_json()
    assert got == {"appointment_type_id": kind.id, "hospital_id": hospital.id, "code": "procedure",
                   "offsets": "7d, 1d", "hours": [168, 24], "horizon_days": 30}
    res = client.put(url, json={"offsets": "90d"}, headers=admin)
    assert res.status_code == 422 and "booking horizon" in res.get_json()["fields"]["offsets"]
    assert _kind(hospital, "procedure").reminder_offsets == "168,24"
    assert client.put(url, json={"offsets": "2d, 2h"}, headers=admin).get_json()["hours"] == [48, 2]
    default = client.put(url, json={"offsets": None}, headers=admin).get_json()
    assert (default["offsets"], default["hours"]) == (None, [24, 2])  # the REMINDER_HOURS setting
    assert client.put(url, json={}, headers=admin).status_code == 422
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "put" in spec["paths"]["/api/v1/appointment-types/{type_id}/reminders"]
    assert "post" in spec["paths"]["/api/v1/appointments/{appointment_id}/confirm"]


# --- the job

def test_each_offset_is_sent_once_per_appointment(clinic, make):
    _, _, doctor = clinic
    procedure = _booked(make, doctor, "procedure")
    consult = _booked(make, doctor, "consult", hour=11)
    start = procedure.start
    assert reminders.send_reminders((24, 2), start - timedelta(days=7, minutes=5)) == 0  # not yet
    assert reminders.send_reminders((24, 2), start - timedelta(days=7) + timedelta(minutes=1)) == 1
    assert reminders.send_reminders((24, 2), start - timedelta(days=7) + timedelta(minutes=6)) == 0  # a rerun
    db.session.commit()
    assert reminders.send_reminders((24, 2), start - timedelta(hours=23)) == 1
    assert reminders.send_reminders((24, 2), start - timedelta(hours=22)) == 0
    db.session.commit()
    assert [r.context["hours"] for r in _reminder_rows(procedure)] == [168, 24]
    assert _reminder_rows(consult) == []  # a consultation is reminded 2 hours ahead only, not at 24
    assert reminders.send_reminders((24, 2), consult.start - timedelta(hours=1, minutes=59)) == 1
    db.session.commit()
    assert [r.context["hours"] for r in _reminder_rows(consult)] == [2]
    sent = db.session.scalars(select(SentReminder).order_by(SentReminder.id)).all()
    assert [(s.appointment_id, s.offset_hours) for s in sent] == [(procedure.id, 168), (procedure.id, 24),
                                                                   (consult.id, 2)]
    # the unique key itself refuses a second record of the same reminder
    db.session.add(SentReminder(appointment_id=procedure.id, offset_hours=24, start=procedure.start))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_two_workers_send_a_reminder_once(app, clinic, make):
    _, _, doctor = clinic
    appointment = _booked(make, doctor, "procedure")
    moment = appointment.start - timedelta(hours=23)
    results, errors = race(app, lambda _i: reminders.send_reminders((24, 2), moment), 2)
    assert errors == []
    assert sorted(r for r in results if isinstance(r, int)) == [0, 1]
    db.session.commit()  # a fresh snapshot (MariaDB's repeatable read) sees the racers' commits
    assert len(_reminder_rows(appointment)) == 1
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 1


def test_reminder_carries_confirm_and_cancel_links_and_the_sms_a_short_one(clinic, make):
    _, _, doctor = clinic
    appointment = _booked(make, doctor, "procedure", phone=PHONE)
    assert reminders.send_reminders((24, 2), appointment.start - timedelta(hours=23)) == 2
    db.session.commit()
    email_row, sms_row = (next(r for r in _reminder_rows(appointment) if r.channel == c) for c in ("email", "sms"))
    confirm, cancel = email_row.context["confirm_link"], email_row.context["cancel_link"]
    assert "/manage/c/" in confirm and "/manage/x/" in cancel and _token(confirm) != _token(cancel)
    email = render_email(email_row)
    assert confirm in email.body and cancel in email.html and "in 1 day" in email.body
    sms = render_sms(sms_row)
    assert confirm in sms and cancel in sms and "/manage/" + events.manage_token(appointment) not in sms
    assert len(confirm) < 100 and len(sms) < 320  # two links and the essentials: at most two SMS segments


# --- the links

def test_confirm_link_marks_the_appointment_confirmed_once(clinic, make, client):
    _, _, doctor = clinic
    appointment = _booked(make, doctor, "procedure")
    token = _token(events.link_for(appointment, "confirm"))
    page = client.get(f"/manage/c/{token}")
    assert page.status_code == 200 and "Yes, I am coming" in page.get_data(as_text=True)
    assert db.session.get(Appointment, appointment.id).attendance_answer is None  # opening changes nothing
    assert client.post(f"/manage/c/{token}", data={"submit": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).attendance_answer == booking.CONFIRMED
    replay = client.post(f"/manage/c/{token}", data={"submit": "1"})
    assert replay.status_code == 410 and 'data-reason="used"' in replay.get_data(as_text=True)


def test_confirmed_shows_on_the_desk_list(clinic, make, client, auth):
    hospital, _, doctor = clinic
    start = utcnow().replace(hour=9, minute=0, second=0, microsecond=0)
    appointment = booking.book(None, make.patient(name="Grace Hopper"), doctor, start, appointment_type="consult",
                               now=start - timedelta(days=2))
    other = booking.book(None, make.patient(name="Alan Turing"), doctor, start + timedelta(minutes=15),
                         appointment_type="consult", now=start - timedelta(days=2))
    booking.answer_attendance(appointment, booking.CONFIRMED, now=start - timedelta(hours=1), via="reminder link")
    db.session.commit()
    auth.login(make.user(Role.STAFF, hospital).email)
    for path in ("/staff/", f"/staff/desk/{hospital.id}"):
        page = client.get(path).get_data(as_text=True)
        assert page.count('data-confirmed="1"') == 1 and "Confirmed" in page, path
    assert other.attendance_answer is None


def test_cancel_link_frees_the_slot_to_the_waitlist_at_once(clinic, make, client):
    _, specialty, doctor = clinic
    appointment = _booked(make, doctor, "procedure")
    waiting = make.patient()
    waitlist.join(None, waiting, waitlist.Wish(specialty_id=specialty.id,
                                               latest=appointment.start.date() + timedelta(days=5)), now=utcnow())
    db.session.commit()
    token = _token(events.link_for(appointment, "cancel"))
    page = client.get(f"/manage/x/{token}")
    assert page.status_code == 200 and db.session.get(Appointment, appointment.id).status == Status.SCHEDULED
    assert client.post(f"/manage/x/{token}", data={"submit": "1"}).status_code == 302
    db.session.expire_all()
    cancelled = db.session.get(Appointment, appointment.id)
    assert (cancelled.status, cancelled.attendance_answer) == (Status.CANCELLED, booking.RELEASED)
    offer = db.session.scalar(select(Offer))
    assert offer is not None and offer.entry.patient_id == waiting.id
    assert db.session.get(Appointment, offer.hold_id).start == appointment.start
    replay = client.post(f"/manage/x/{token}", data={"submit": "1"})
    assert replay.status_code == 410 and 'data-reason="cancelled"' in replay.get_data(as_text=True)
    confirm = client.get(f"/manage/c/{_token(events.link_for(cancelled, 'confirm'))}")
    assert confirm.status_code == 410 and "already cancelled" in confirm.get_data(as_text=True)


def test_forged_foreign_moved_and_past_links_change_nothing(clinic, make, client):
    _, _, doctor = clinic
    appointment = _booked(make, doctor, "procedure")
    confirm, cancel = (_token(events.link_for(appointment, p)) for p in ("confirm", "cancel"))
    forged = confirm[:-3] + ("AAA" if confirm[-3:] != "AAA" else "BBB")
    assert client.post(f"/manage/c/{forged}", data={"submit": "1"}).status_code == 400
    # single purpose: a cancel token confirms nothing, a confirm token cancels nothing, nor opens the manage page
    assert client.post(f"/manage/c/{cancel}", data={"submit": "1"}).status_code == 400
    assert client.post(f"/manage/x/{confirm}", data={"submit": "1"}).status_code == 400
    assert client.get(f"/manage/{confirm}").status_code == 400
    with pytest.raises(events.ManageLinkError) as past:
        events.read_reminder_token(confirm, "confirm", now=appointment.start + timedelta(minutes=1))
    assert (past.value.reason, past.value.status) == ("past", 410)
    booking.reschedule(None, appointment, appointment.start + timedelta(days=1), now=utcnow())
    db.session.commit()
    res = client.post(f"/manage/x/{cancel}", data={"submit": "1"})
    assert res.status_code == 410 and 'data-reason="moved"' in res.get_data(as_text=True)
    db.session.expire_all()
    kept = db.session.get(Appointment, appointment.id)
    assert (kept.status, kept.attendance_answer) == (Status.SCHEDULED, None)


def test_patient_confirms_their_own_appointment_through_the_api(clinic, make, client, runner):
    _, _, doctor = clinic
    appointment = _booked(make, doctor, "procedure")
    mine = appointment.patient.user
    url = f"/api/v1/appointments/{appointment.id}/confirm"
    assert client.post(url, headers=token_for(runner, make.patient().user.email)).status_code == 404
    headers = token_for(runner, mine.email)
    res = client.post(url, headers=headers)
    assert res.status_code == 200 and res.get_json()["confirmed"] is True
    again = client.post(url, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "appointment.confirm")) == mine.id


def test_staff_cannot_confirm_for_the_patient_through_the_api(clinic, make, client, runner):
    hospital, _, doctor = clinic
    appointment = _booked(make, doctor, "procedure")
    staff = token_for(runner, make.user(Role.STAFF, hospital).email)
    assert client.post(f"/api/v1/appointments/{appointment.id}/confirm", headers=staff).status_code == 403
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).attendance_answer is None


def test_cancel_link_past_the_online_cutoff_is_refused_and_nothing_changes(clinic, make, client):
    hospital, _, doctor = clinic
    hospital.cancel_cutoff_hours = 24 * 20
    db.session.commit()
    appointment = _booked(make, doctor, "procedure")
    token = _token(events.link_for(appointment, "cancel"))
    res = client.post(f"/manage/x/{token}", data={"submit": "1"})
    assert res.status_code == 409 and "alert-danger" in res.get_data(as_text=True)
    db.session.expire_all()
    kept = db.session.get(Appointment, appointment.id)
    assert (kept.status, kept.attendance_answer) == (Status.SCHEDULED, None)


def test_a_german_reminder_says_days_and_carries_both_links(clinic, make):
    _, _, doctor = clinic
    appointment = _booked(make, doctor, "procedure", phone=PHONE)
    appointment.patient.user.language = "de"
    db.session.commit()
    assert reminders.send_reminders((24, 2), appointment.start - timedelta(days=7) + timedelta(minutes=1)) == 2
    db.session.commit()
    email_row, sms_row = (next(r for r in _reminder_rows(appointment) if r.channel == c) for c in ("email", "sms"))
    email = render_email(email_row)
    assert "Ihr Termin ist in 7 Tagen" in email.body and "Erinnerung" in email.subject
    sms = render_sms(sms_row)
    assert f"Bestätigen: {email_row.context['confirm_link']}" in sms and "Absagen: " in sms
