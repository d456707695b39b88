"""The front desk books, cancels and moves appointments for a patient, over HTTP against the real services.

Slots are on next Monday in the hospital's local time, computed from today's date, so any weekday works.
"""
from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, AuditEvent, Role
from app.services import booking
from app.services.availability.views import local_today

TZ = "Europe/London"


def next_monday() -> date:
    today = local_today(TZ)
    return today + timedelta(days=7 - today.weekday())


def monday_at(hh: int, mm: int = 0):
    """Naive UTC of next Monday hh:mm in London."""
    return core.to_utc(next_monday(), time(hh, mm), ZoneInfo(TZ))


def iso(instant) -> str:
    return instant.isoformat(timespec="minutes")


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def appointments() -> list[Appointment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Appointment).order_by(Appointment.id)))


@pytest.fixture
def desk(make, auth):
    """A hospital with one doctor (Mondays 09:00-10:00, 15-minute slots), a patient, and its staff logged in."""
    hospital = make.hospital(name="Thames Riverside Hospital")
    db.session.add_all([AppointmentType(hospital_id=hospital.id, code="new", name="New patient"),
                        AppointmentType(hospital_id=hospital.id, code="follow_up", name="Follow-up")])
    db.session.commit()
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Lovelace")
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="10:00")
    patient = make.patient(name="Grace Hopper")
    patient.registered_hospital_id = hospital.id  # the desk's own patient: it may read the full record
    db.session.commit()
    staff = make.user(Role.STAFF, hospital)
    auth.login(staff.email)
    return hospital, doctor, patient, staff


def confirm_url(patient, doctor, hospital, start) -> str:
    return f"/staff/patients/{patient.id}/book/confirm?doctor={doctor.id}&hospital={hospital.id}&start={iso(start)}"


def test_patient_page_offers_booking(client, desk):
    _, _, patient, _ = desk
    html = client.get(f"/staff/patients/{patient.id}").data.decode()
    assert f"/staff/patients/{patient.id}/book" in html and "Book an appointment" in html


def test_search_lists_free_slots_by_local_day(client, desk):
    hospital, doctor, patient, _ = desk
    monday = next_monday()
    booking.book(None, patient, doctor, monday_at(9, 15))
    db.session.commit()
    res = client.get(f"/staff/patients/{patient.id}/book?doctor={doctor.id}&first_day={monday}&last_day={monday}")
    assert res.status_code == 200
    html = res.data.decode()
    assert monday.strftime("%A") in html and "3 free times" in html
    for hhmm in ("09:00", "09:30", "09:45"):
        assert f">{hhmm}</span>" in html
    assert ">09:15</span>" not in html  # taken
    assert iso(monday_at(9, 30)) in html and TZ in html


def test_search_by_specialty_and_its_errors(client, desk, make):
    hospital, doctor, patient, _ = desk
    other = make.doctor(hospital, make.specialty("Neurology", "NEU"), name="Dr Oliver Sacks")
    make.schedule(other, hospital, weekdays=[0], start="09:00", end="09:30")
    monday = next_monday()
    url = f"/staff/patients/{patient.id}/book"
    html = client.get(f"{url}?specialty={other.specialty_id}&first_day={monday}&last_day={monday}").data.decode()
    assert "Dr Oliver Sacks" in html and "2 free times" in html
    res = client.get(f"{url}?first_day={monday}&last_day={monday}")
    assert res.status_code == 422 and b"Choose a doctor or a specialty." in res.data
    res = client.get(f"{url}?doctor={doctor.id}&first_day={monday}&last_day={monday - timedelta(days=1)}")
    assert res.status_code == 422 and b"must not be before" in res.data
    res = client.get(f"{url}?doctor={doctor.id}&first_day={monday}&last_day={monday + timedelta(days=100)}")
    assert res.status_code == 422 and b"at most 92 days" in res.data


def test_book_through_the_confirm_page(client, desk):
    hospital, doctor, patient, staff = desk
    url = confirm_url(patient, doctor, hospital, monday_at(9, 30)) + "&type=follow_up"
    page = client.get(url)
    assert page.status_code == 200
    html = page.data.decode()
    assert "Grace Hopper" in html and "Dr Ada Lovelace" in html and "09:30" in html
    assert "(GMT)" in html or "(BST)" in html
    assert '<option selected value="follow_up">' in html
    res = client.post(url, data={"appointment_type": "follow_up", "reason": "Results review"})
    assert res.status_code == 302 and res.headers["Location"] == f"/staff/patients/{patient.id}"
    (appointment,) = appointments()
    assert (appointment.patient_id, appointment.doctor_id, appointment.start, appointment.appointment_type,
            appointment.reason, appointment.booked_by_id) == (patient.id, doctor.id, monday_at(9, 30), "follow_up",
                                                              "Results review", staff.id)
    (event,) = events("appointment.book")
    assert event.actor_id == staff.id and event.hospital_id == hospital.id
    page = client.get(res.headers["Location"]).data.decode()
    assert "is booked with Dr Ada Lovelace" in page and "Reschedule" in page and "Cancel" in page


def test_a_taken_slot_is_409_with_the_nearest_alternatives(client, desk, make):
    hospital, doctor, patient, _ = desk
    booking.book(None, make.patient(), doctor, monday_at(9, 15))
    db.session.commit()
    res = client.post(confirm_url(patient, doctor, hospital, monday_at(9, 15)), data={"appointment_type": "new"})
    assert res.status_code == 409
    html = res.data.decode()
    assert "just been taken" in html and "Nearest free times" in html
    assert iso(monday_at(9)) in html and iso(monday_at(9, 30)) in html
    assert 'value="new"' in html and len(appointments()) == 1


@pytest.mark.parametrize("start, data, status, message", [
    ((9, 5), {"appointment_type": "new"}, 422, "No appointment starts at that time."),
    ((9, 0), {"appointment_type": "surgery"}, 422, "Not a valid choice"),
    ((9, 0), {"appointment_type": "new", "reason": "x" * 501}, 422, "Field cannot be longer than 500 characters."),
])
def test_invalid_booking_is_refused(client, desk, start, data, status, message):
    hospital, doctor, patient, _ = desk
    res = client.post(confirm_url(patient, doctor, hospital, monday_at(*start)), data=data)
    assert res.status_code == status and message in res.data.decode()
    assert appointments() == []


def test_another_hospitals_doctor_and_unknown_records_are_404(client, desk, make):
    hospital, doctor, patient, _ = desk
    elsewhere = make.hospital(name="Elsewhere")
    stranger = make.doctor(elsewhere, name="Dr Stranger")
    make.schedule(stranger, elsewhere)
    assert client.get(confirm_url(patient, stranger, elsewhere, monday_at(9))).status_code == 404
    assert client.post(confirm_url(patient, stranger, elsewhere, monday_at(9)),
                       data={"appointment_type": ""}).status_code == 404
    assert client.get(confirm_url(patient, doctor, elsewhere, monday_at(9))).status_code == 404
    assert client.get(f"/staff/patients/{patient.id}/book/confirm?doctor={doctor.id}&hospital={hospital.id}"
                      "&start=yesterday").status_code == 404
    assert client.get("/staff/patients/999999/book").status_code == 404
    html = client.get(f"/staff/patients/{patient.id}/book").data.decode()
    assert "Dr Stranger" not in html and "Dr Ada Lovelace" in html
    theirs = booking.book(None, patient, stranger, core.to_utc(next_monday(), time(10), ZoneInfo(TZ)))
    db.session.commit()
    assert client.get(f"/staff/appointments/{theirs.id}/cancel").status_code == 404
    assert client.post(f"/staff/appointments/{theirs.id}/cancel", data={"reason": "x"}).status_code == 404
    assert client.get(f"/staff/appointments/{theirs.id}/reschedule").status_code == 404


def test_patient_role_is_refused(client, auth, desk, make):
    _, _, patient, _ = desk
    auth.logout()
    auth.login(make.user(Role.PATIENT).email)
    assert client.get(f"/staff/patients/{patient.id}/book").status_code == 403
    assert client.get("/staff/doctors").status_code == 403


def test_cancel_with_a_reason(client, desk):
    _, doctor, patient, staff = desk
    appointment = booking.book(None, patient, doctor, monday_at(9))
    db.session.commit()
    url = f"/staff/appointments/{appointment.id}/cancel"
    assert client.get(url).status_code == 200
    res = client.post(url, data={"reason": ""})
    assert res.status_code == 422 and b"This field is required." in res.data
    res = client.post(url, data={"reason": "Patient phoned"})
    assert res.status_code == 302 and res.headers["Location"] == f"/staff/patients/{patient.id}"
    (cancelled,) = appointments()
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Patient phoned")
    (event,) = events("appointment.cancel")
    assert event.actor_id == staff.id
    again = client.post(url, data={"reason": "twice"})
    assert again.status_code == 409 and appointments()[0].cancel_reason == "Patient phoned"


def test_reschedule_to_a_free_slot(client, desk, make):
    _, doctor, patient, staff = desk
    appointment = booking.book(None, patient, doctor, monday_at(9))
    booking.book(None, make.patient(), doctor, monday_at(9, 45))
    db.session.commit()
    monday = next_monday()
    url = f"/staff/appointments/{appointment.id}/reschedule"
    page = client.get(f"{url}?first_day={monday}&last_day={monday}")
    assert page.status_code == 200
    html = page.data.decode()
    assert iso(monday_at(9, 30)) in html and iso(monday_at(9, 45)) not in html
    taken = client.post(url, data={"start": iso(monday_at(9, 45))})
    assert taken.status_code == 409 and b"The appointment is unchanged." in taken.data
    outside = client.post(url, data={"start": iso(monday_at(11))})
    assert outside.status_code == 422
    assert client.post(url, data={"start": ""}).status_code == 422
    res = client.post(url, data={"start": iso(monday_at(9, 30))})
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(appointment), appointment.id).start == monday_at(9, 30)
    (event,) = events("appointment.reschedule")
    assert event.actor_id == staff.id
    bad_range = client.get(f"{url}?first_day={monday}&last_day={monday - timedelta(days=3)}")
    assert bad_range.status_code == 422
    assert db.session.scalar(select(func.count(Appointment.id))) == 2
