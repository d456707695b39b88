"""Words, not codes: the confirmation names the type and the status as a person would, in English and German;
held-slot badges speak to the viewer; "Other times" never offers the time that failed; a refusal names its true
cause; erased or switched-off people are never offered in choosers; core refusals are German on a German page.
Runs on SQLite and MariaDB."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import get_template_attribute
from flask_babel import force_locale
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Patient, Role, Room
from app.services import accounts, booking, locations
from app.services.availability.views import nearest_free_slots
from app.services.directory import choices
from app.services.directory.patients import search_patients
from app.web.words import error_text
from tests.conftest import PASSWORD

LONDON = ZoneInfo("Europe/London")


def day(n: int) -> date:
    return date.today() + timedelta(days=n)


def utc_at(n: int, hh: int, mm: int = 0) -> datetime:
    return core.to_utc(day(n), time(hh, mm), LONDON)


def iso_at(n: int, hh: int, mm: int = 0) -> str:
    return core.to_local(utc_at(n, hh, mm), LONDON).isoformat()


def book_url(doctor, hospital, start_iso: str, **extra) -> str:
    query = {"doctor": doctor.id, "hospital": hospital.id, "start": start_iso.replace("+", "%2B"), **extra}
    return "/patient/book?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Hospital")
    db.session.add_all([
        AppointmentType(hospital_id=hospital.id, code="new", name="New patient", duration_minutes=15,
                        fee=Decimal("80.00")),
        AppointmentType(hospital_id=hospital.id, code="ecg", name="ECG with consultation", duration_minutes=30,
                        fee=Decimal("120.00"))])
    db.session.commit()
    cardio = make.specialty()
    doctor = make.doctor(hospital, cardio, name="Dr Ada Heart")
    other = make.doctor(hospital, cardio, name="Dr Bea Beat")
    make.schedule(doctor, hospital)
    make.schedule(other, hospital)
    return hospital, doctor, other


def patient_of(user):
    return db.session.scalar(select(Patient).where(Patient.user_id == user.id))


# --- the confirmation ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language, type_name, status", [("en", "ECG with consultation", "booked"),
                                                          ("de", "EKG mit Beratung", "gebucht")])
def test_the_confirmation_names_the_type_and_status_in_words(client, auth, make, clinic, language, type_name,
                                                              status):
    hospital, doctor, _other = clinic
    user = make.user(Role.PATIENT)
    user.language = language
    db.session.commit()
    auth.login(user.email)
    res = client.post(book_url(doctor, hospital, iso_at(3, 10), type="ecg"), data={"appointment_type": "ecg",
                                                                                     "reason": ""})
    assert res.status_code == 302
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    badge = re.search(r'<span class="badge text-bg-primary">([^<]*)</span>', page)
    assert type_name in page and badge and badge.group(1) == status
    assert ">ecg<" not in page and "scheduled" not in page and "geplant" not in page


# --- badges speak to the viewer -----------------------------------------------------------------------------------

def _row(app, urgency: str) -> str:
    local = datetime(2030, 1, 7, 9, 0, tzinfo=LONDON)
    view = SimpleNamespace(doctor_id=1, hospital_id=1, start_iso=local.isoformat(), end_iso=local.isoformat(),
                           state="free", local_start=local, zone="GMT", urgent_hold=True, distance_km=None,
                           appointment_type="new", fee=None, local_date=local.date())
    doctor = SimpleNamespace(name="Dr Ada Heart", specialty=SimpleNamespace(name="Cardiology"), language_list=["en"],
                             photo=None)
    hospital = SimpleNamespace(name="Thames Hospital", city="London")
    with app.test_request_context("/"):
        return str(get_template_attribute("public/_slots.html", "result_row")(view, doctor, hospital, urgency, None))


def test_a_held_slot_is_marked_only_for_whom_it_is_kept(app, clinic):
    # a routine patient sees a held slot only once it is released to everyone: no badge that says otherwise
    assert "urgent needs" not in _row(app, "routine")
    assert "kept for urgent needs" in _row(app, "urgent")


# --- other times, and the true cause --------------------------------------------------------------------------------

def test_other_times_never_offer_the_time_that_failed(client, auth, make, clinic):
    hospital, doctor, other = clinic
    user = make.user(Role.PATIENT)
    booking.book(None, patient_of(user), other, utc_at(3, 10))  # the patient is with another doctor then
    db.session.commit()
    auth.login(user.email)
    res = client.post(book_url(doctor, hospital, iso_at(3, 10)), data={"reason": ""})
    page = res.get_data(as_text=True).replace("&#39;", "'")
    assert res.status_code == 409 and "You already have an appointment at this time" in page
    same = page.split("Other times with Dr Ada Heart", 2)[-1].split("</ul>", 1)[0]
    assert f'data-start="{iso_at(3, 10)}"' not in same and f'data-start="{iso_at(3, 10, 15)}"' in same
    starts = [r.start for r in nearest_free_slots(doctor.id, hospital.id, "Europe/London", utc_at(3, 10), None)]
    assert utc_at(3, 10) not in starts and utc_at(3, 10, 15) in starts


def test_the_patients_own_longer_booking_is_named_as_the_cause(make, clinic):
    hospital, doctor, _other = clinic
    patient = make.patient()
    booking.book(None, patient, doctor, utc_at(3, 9), appointment_type="ecg")  # 09:00-09:30
    db.session.commit()
    with pytest.raises(core.PatientOverlap):
        booking.book(None, patient, doctor, utc_at(3, 9, 15))
    db.session.rollback()
    with pytest.raises(core.SlotTaken):  # for anyone else the time is simply taken
        booking.book(None, make.patient(), doctor, utc_at(3, 9, 15))
    db.session.rollback()


# --- choosers -------------------------------------------------------------------------------------------------------

def test_erased_and_switched_off_people_are_not_offered(client, auth, make, clinic):
    hospital, doctor, other = clinic
    kept = make.patient(name="Paula Present")
    erased_user = make.user(Role.PATIENT, name="Erin Erased")
    accounts.profile.delete_account(erased_user, patient_of(erased_user), PASSWORD)
    closed_user = make.user(Role.PATIENT, name="Carl Closed")
    closed_user.active = False
    other.user.active = False  # the doctor's account is switched off, the profile not yet
    db.session.commit()
    choices.clear()

    found = {p.name for p in search_patients("a")}
    assert "Paula Present" in found and not found & {"Deleted patient", "Carl Closed"}
    assert [name for _id, name in choices.doctors(hospital_id=hospital.id)] == ["Dr Ada Heart"]

    room = Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", bookable=True)
    db.session.add(room)
    db.session.commit()
    manager = make.user(Role.STAFF, hospital)
    locations.grant(manager.id, room, manager, "manager")
    db.session.commit()
    auth.login(manager.email)
    page = client.get(f"/locations/{room.id}").get_data(as_text=True)
    assert kept.name in page and "Dr Ada Heart" in page
    assert "Deleted patient" not in page and "Carl Closed" not in page and "Dr Bea Beat" not in page
    assert db.session.scalar(select(func.count(Appointment.id))) == 0


# --- German refusals ------------------------------------------------------------------------------------------------

def test_core_refusals_are_german_on_a_german_page(app):
    taken = core.SlotTaken("This time has just been taken. Please choose another.", "start")
    elsewhere = core.OutsideHours("This doctor does not work at that hospital.", "hospital_id")
    with app.test_request_context("/"):
        with force_locale("de"):
            assert error_text(taken) == "Dieser Termin wurde gerade vergeben. Bitte wählen Sie einen anderen."
            assert error_text(elsewhere) == "Zu dieser Zeit beginnt kein Termin."  # its code's sentence
        with force_locale("en"):
            assert error_text(elsewhere) == "This doctor does not work at that hospital."  # English keeps detail
