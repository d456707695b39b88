"""One price, with a currency (docs/api.md, "Fees"): the booking form shows the chosen type's fee, the appointment
keeps the fee and currency it was booked at, money is formatted per locale, and bad fees or currencies are refused.

Dates come from today: every schedule runs 09:00-12:00 daily with no notice, so "in three days at 10:00" is free.
"""
from __future__ import annotations

import html
import json
import re
from datetime import date, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, AuditEvent, Hospital, Role
from app.models.base import utcnow
from app.services import directory
from app.services.directory import DirectoryError
from tests.conftest import PASSWORD

NBSP = "\xa0"  # Babel puts a no-break space between a German amount and its sign


def start_in(days: int, hh: int, tz: str) -> str:
    local = core.to_local(core.to_utc(date.today() + timedelta(days=days), time(hh), ZoneInfo(tz)), ZoneInfo(tz))
    return local.isoformat().replace("+", "%2B")


@pytest.fixture
def priced(make):
    """A London hospital (GBP) and a Berlin one (EUR), each with three priced types, and a doctor at each."""
    cardio = make.specialty()
    london = make.hospital(name="Thames Hospital")
    berlin = make.hospital(name="Spree Klinikum", city="Berlin", country="DE", lat=52.52, lon=13.4,
                           timezone="Europe/Berlin")
    for hospital in (london, berlin):
        db.session.add_all([
            AppointmentType(hospital_id=hospital.id, code="new", name="New patient", kind="new", fee=Decimal("80")),
            AppointmentType(hospital_id=hospital.id, code="follow_up", name="Follow-up", kind="follow_up",
                            fee=Decimal("50")),
            AppointmentType(hospital_id=hospital.id, code="ecg", name="ECG with consultation", kind="new",
                            fee=Decimal("120"))])
    db.session.commit()
    doc_l, doc_b = make.doctor(london, cardio, name="Dr Ada Heart"), make.doctor(berlin, cardio, name="Dr Bea Herz")
    make.schedule(doc_l, london)
    make.schedule(doc_b, berlin)
    return {"london": london, "berlin": berlin, "doc_l": doc_l, "doc_b": doc_b}


def book_url(doctor, hospital, **extra) -> str:
    query = {"doctor": doctor.id, "hospital": hospital.id, "start": start_in(3, 10, hospital.timezone), **extra}
    return "/patient/book?" + "&".join(f"{k}={v}" for k, v in query.items())


def shown_fee(page: str) -> str:
    return html.unescape(re.search(r'id="booking-fee"[^>]*>([^<]*)<', page).group(1))


def test_hospitals_get_their_countrys_currency(priced):
    assert (priced["london"].currency, priced["berlin"].currency) == ("GBP", "EUR")


def test_booking_form_shows_the_fee_of_the_chosen_type(client, auth, make, priced):
    doctor, london = priced["doc_l"], priced["london"]
    auth.login(make.user(Role.PATIENT).email)
    page = client.get(book_url(doctor, london, type="ecg")).get_data(as_text=True)
    assert shown_fee(page) == "£120.00"
    page = client.get(book_url(doctor, london, type="follow_up")).get_data(as_text=True)
    assert shown_fee(page) == "£50.00"
    # what static/js/booking-fee.js shows when the patient picks another type, formatted by the server
    fees = json.loads(html.unescape(re.search(r'data-fees="([^"]*)"', page).group(1)))
    assert fees == {"new": "£80.00", "follow_up": "£50.00", "ecg": "£120.00"}
    assert "js/booking-fee.js" in page


def test_fee_is_kept_at_booking_even_after_the_admin_changes_it(client, auth, make, priced):
    doctor, london = priced["doc_l"], priced["london"]
    user = make.user(Role.PATIENT)
    auth.login(user.email)
    res = client.post(book_url(doctor, london), data={"appointment_type": "ecg", "urgency": "routine"})
    assert res.status_code == 302
    appointment = db.session.scalar(select(Appointment))
    assert (appointment.appointment_type, appointment.fee, appointment.currency) == ("ecg", Decimal("120.00"), "GBP")

    admin = make.user(Role.ADMIN)
    ecg = db.session.scalar(select(AppointmentType).where(AppointmentType.hospital_id == london.id,
                                                          AppointmentType.code == "ecg"))
    directory.update_appointment_type(admin, ecg, fee=Decimal("150.00"))
    london.currency = "EUR"  # even a hospital that changes its money leaves booked fees as they were
    db.session.commit()

    confirmation = client.get(f"/patient/appointments/{appointment.id}").get_data(as_text=True)
    assert "£120.00" in confirmation and "150" not in confirmation
    assert "£120.00" in client.get("/patient/").get_data(as_text=True)  # My appointments
    body = client.get(f"/api/v1/appointments/{appointment.id}").get_json()
    assert (body["fee"], body["currency"]) == ("120.00", "GBP")
    hospitals = client.get("/api/v1/hospitals").get_json()["hospitals"]
    assert {h["name"]: h["currency"] for h in hospitals} == {"Thames Hospital": "EUR", "Spree Klinikum": "EUR"}
    # a new booking pays the new price
    page = client.get(book_url(doctor, london, type="ecg", start=start_in(4, 10, london.timezone)))
    assert shown_fee(page.get_data(as_text=True)) == "€150.00"


def test_the_desk_shows_the_fee_booked(client, auth, make, priced):
    london, doctor = priced["london"], priced["doc_l"]
    now = utcnow().replace(second=0, microsecond=0)  # today's list, whatever the time of day
    db.session.add(Appointment(patient_id=make.patient().id, doctor_id=doctor.id, hospital_id=london.id,
                               appointment_type="ecg", start=now, end=now + timedelta(minutes=15),
                               fee=Decimal("120.00"), currency="GBP"))
    db.session.commit()
    auth.login(make.user(Role.STAFF, london).email)
    page = client.get("/staff/").get_data(as_text=True)
    assert "£120.00" in page


def test_search_results_show_the_fee_with_its_currency(client, priced):
    berlin = priced["berlin"]
    day = (date.today() + timedelta(days=3)).isoformat()
    page = client.get(f"/search?hospital={berlin.id}&from={day}&to={day}").get_data(as_text=True)
    assert "€80.00" in page  # English page, a German hospital's euros


def test_german_pages_write_euros_the_german_way(client, auth, make, priced):
    doctor, berlin = priced["doc_b"], priced["berlin"]
    user = make.user(Role.PATIENT)
    auth.login(user.email)
    client.post("/auth/language/de")
    page = client.get(book_url(doctor, berlin, type="ecg")).get_data(as_text=True)
    assert shown_fee(page) == f"120,00{NBSP}€"
    page = client.get(f"/doctors/{doctor.id}").get_data(as_text=True)
    assert f"80,00{NBSP}€" in page and f"120,00{NBSP}€" in page


def test_doctor_and_hospital_pages_show_fees_in_the_hospitals_currency(client, priced):
    doctor, london = priced["doc_l"], priced["london"]
    page = client.get(f"/doctors/{doctor.id}").get_data(as_text=True)
    assert "£50.00" in page and "£80.00" in page and "£120.00" in page
    assert "£80.00" in client.get(f"/hospitals/{london.id}").get_data(as_text=True)


# --- bad input: a message on the field, nothing saved ---

TYPE_FORM = dict(code="ecg_check", name="ECG check", kind="new", duration_minutes="30")


@pytest.fixture
def admin(make, auth):
    user = make.user(Role.ADMIN, email="region@example.org")
    auth.login(user.email, PASSWORD)
    return user


@pytest.mark.parametrize("fee, message", [
    ("12.345", "at most two decimal places"),
    ("-0.01", "at least 0"),
    ("100000000", "too large"),
])
def test_bad_fee_is_refused_on_the_field(client, admin, priced, fee, message):
    london = priced["london"]
    res = client.post(f"/admin/hospitals/{london.id}/appointment-types/new", data={**TYPE_FORM, "fee": fee})
    assert res.status_code == 422 and message in res.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(AppointmentType.code == "ecg_check")) == 0
    res = client.post(f"/admin/doctors/{priced['doc_l'].id}/edit", data={
        "name": "Dr Ada Heart", "specialty_id": priced["doc_l"].specialty_id, "hospital_ids": [london.id],
        "languages": "en", "fee": fee})
    assert res.status_code == 422 and message in res.get_data(as_text=True)
    db.session.expire_all()
    assert priced["doc_l"].fee == Decimal("0")


def test_the_service_refuses_bad_fees_whatever_the_entry(app, admin, priced):
    ecg = db.session.scalar(select(AppointmentType).where(AppointmentType.code == "ecg"))
    with app.test_request_context():  # the refusal's words are the request's language
        for fee, problem in ((Decimal("1.234"), "two decimal"), (Decimal("-1"), "negative")):
            with pytest.raises(DirectoryError, match=problem) as refused:
                directory.update_appointment_type(admin, ecg, fee=fee)
            assert refused.value.field == "fee"
            db.session.rollback()
        with pytest.raises(DirectoryError, match="ISO 4217"):
            directory.update_hospital(admin, priced["london"], currency="XYZ")
        db.session.rollback()
    assert db.session.get(AppointmentType, ecg.id).fee == Decimal("120.00")
    assert db.session.get(Hospital, priced["london"].id).currency == "GBP"


HOSPITAL_FORM = dict(name="Elbe Klinik", city="Hamburg", country="DE", lat="53.55", lon="9.99",
                     timezone="Europe/Berlin", cancel_cutoff_hours="24", noshow_grace_minutes="30",
                     offer_hold_minutes="15")


@pytest.mark.parametrize("typed, stored", [("", "EUR"), ("chf", "CHF"), ("GBP", "GBP")])
def test_hospital_currency_from_the_form_or_the_country(client, admin, typed, stored):
    res = client.post("/admin/hospitals/new", data={**HOSPITAL_FORM, "currency": typed})
    assert res.status_code == 302
    assert db.session.scalar(select(Hospital.currency).where(Hospital.name == "Elbe Klinik")) == stored


@pytest.mark.parametrize("typed", ["XYZ", "EURO", "€"])
def test_unknown_currency_is_refused_on_the_field(client, admin, priced, typed):
    london = priced["london"]
    res = client.post("/admin/hospitals/new", data={**HOSPITAL_FORM, "currency": typed})
    assert res.status_code == 422 and "ISO 4217 currency code" in res.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(Hospital.name == "Elbe Klinik")) == 0
    res = client.post(f"/admin/hospitals/{london.id}/edit", data={
        **HOSPITAL_FORM, "name": london.name, "country": "GB", "currency": typed})
    assert res.status_code == 422
    db.session.expire_all()
    assert db.session.get(Hospital, london.id).currency == "GBP"
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "hospital.update")) == 0


def test_the_desks_booking_form_shows_the_fee_of_the_chosen_type(client, auth, make, priced):
    doctor, london = priced["doc_l"], priced["london"]
    patient = make.patient()
    patient.registered_hospital_id = london.id  # the desk's own patient
    db.session.commit()
    auth.login(make.user(Role.STAFF, london).email)
    url = (f"/staff/patients/{patient.id}/book/confirm?doctor={doctor.id}&hospital={london.id}"
           f"&start={start_in(3, 10, london.timezone)}")
    assert shown_fee(client.get(url + "&type=ecg").get_data(as_text=True)) == "£120.00"
    page = client.get(url).get_data(as_text=True)  # no type carried: the first the select shows
    assert shown_fee(page) == "£120.00" and re.search(r'<option selected value="ecg">', page)
    res = client.post(url, data={"appointment_type": "follow_up"})
    assert res.status_code == 302
    assert db.session.scalar(select(Appointment.fee)) == Decimal("50.00")
