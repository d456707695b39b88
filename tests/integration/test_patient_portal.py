"""The patient portal over HTTP: public search, doctor and hospital pages, booking, My appointments, .ics.

Dates are computed from today; every schedule runs every day 09:00-12:00 with no notice, so "in three days at
09:00" is always bookable and always beyond the 24-hour cut-off for cancelling online.
"""
import re
from datetime import date, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db, socketio
from app.models import Appointment, Claim, Role
from app.services import accounts, booking
from tests.conftest import PASSWORD

LONDON = ZoneInfo("Europe/London")


def day(n: int) -> date:
    return date.today() + timedelta(days=n)


def utc_at(n: int, hh: int, mm: int = 0, tz=LONDON):
    return core.to_utc(day(n), time(hh, mm), tz)


def iso_at(n: int, hh: int, mm: int = 0, tz=LONDON) -> str:
    return core.to_local(utc_at(n, hh, mm, tz), tz).isoformat()


@pytest.fixture
def region(make):
    cardio = make.specialty("Cardiology", "CAR")
    london = make.hospital(name="Thames Hospital", city="London", lat=51.5, lon=-0.12, address="1 River Road")
    berlin = make.hospital(name="Spree Klinikum", city="Berlin", lat=52.52, lon=13.40, timezone="Europe/Berlin")
    doc_l = make.doctor(london, cardio, name="Dr Ada Heart")
    doc_l.qualifications, doc_l.languages = "MD, FRCP", "en,fr"
    doc_b = make.doctor(berlin, cardio, name="Dr Bea Herz")
    doc_b.languages = "de,en"
    db.session.commit()
    make.schedule(doc_l, london)
    make.schedule(doc_b, berlin)
    return {"cardio": cardio, "london": london, "berlin": berlin, "doc_l": doc_l, "doc_b": doc_b}


@pytest.fixture
def emitted(monkeypatch):
    """Every Socket.IO emit, as (event, payload, room)."""
    sent = []
    monkeypatch.setattr(socketio, "emit", lambda event, data, to=None, **kw: sent.append((event, data, to)))
    return sent


def book_url(doctor, hospital, start_iso: str, **extra) -> str:
    query = {"doctor": doctor.id, "hospital": hospital.id, "start": start_iso, **extra}
    return "/patient/book?" + "&".join(f"{k}={v.replace('+', '%2B') if isinstance(v, str) else v}"
                                      for k, v in query.items())


def login_patient(make, auth):
    user = make.user(Role.PATIENT)
    auth.login(user.email)
    return user


# --- search ---

def test_search_form_is_labelled_and_needs_no_login(client, region):
    res = client.get("/search")
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    for label in ("Specialty", "City", "Use my location", "Radius (km)", "Urgency", "From", "To", "Hospital",
                  "Doctor", "Appointment type", "language", "next 48 hours"):
        assert label in page, label
    assert 'name="lat"' in page and 'name="lon"' in page
    assert client.get("/").status_code == 200


def test_search_results_earliest_first_grouped_by_day_with_distance_fee_and_next_available(client, region):
    res = client.get(f"/search?specialty={region['cardio'].id}&city=London&radius_km=50"
                     f"&from={day(1)}&to={day(2)}")
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    doctors = {int(d) for d in re.findall(r'data-slot data-doctor="(\d+)"', page)}
    assert doctors == {region["doc_l"].id}  # Berlin is 900 km away
    assert "Next available per doctor" in page and "next available" in page
    assert "0.0 km away" in page and "Thames Hospital" in page
    assert page.count("data-slot-day") == 2  # two local days
    assert page.index(f'data-start="{iso_at(1, 9)}"') < page.index(f'data-start="{iso_at(1, 9, 15)}"')
    assert "/patient/book?" in page and "Fee" in page


def test_search_across_hospitals_by_zone(client, region):
    res = client.get(f"/search?specialty=Cardiology&from={day(1)}&to={day(1)}")
    page = res.get_data(as_text=True)
    berlin = page.index(f'data-start="{iso_at(1, 9, tz=ZoneInfo("Europe/Berlin"))}"')
    london = page.index(f'data-start="{iso_at(1, 9)}"')
    assert berlin < london  # 09:00 in Berlin comes before 09:00 in London
    assert "CET" in page or "CEST" in page


def search_form_tag(page: str) -> str:
    return re.search(r'<form[^>]*id="search-form"[^>]*>', page).group(0)


def test_results_fold_the_search_into_a_summary_on_phones(client, region):
    """Issue #13, part 4: with results the form is a Bootstrap collapse (open from 768 px), a summary line and
    "Change search" stand in for it on a phone; without results to show, or with an error, the form stays open."""
    page = client.get(f"/search?specialty={region['cardio'].id}&city=London&radius_km=50"
                      f"&from={day(1)}&to={day(2)}").get_data(as_text=True)
    assert "collapse d-md-block" in search_form_tag(page)
    summary = page[page.index('id="search-summary"'):page.index('id="search-form"')]
    assert "Cardiology" in summary and "within 50 km of London" in summary
    assert 'data-bs-target="#search-form"' in summary and "Change search" in summary
    for url in ("/search", "/search?specialty=9999"):
        page = client.get(url).get_data(as_text=True)
        assert "collapse" not in search_form_tag(page) and 'id="search-summary"' not in page, url


@pytest.mark.parametrize("query, message", [
    ("specialty=9999", "Unknown specialty"),
    ("specialty={cardio}&city=Atlantis", "Unknown city"),
    ("specialty={cardio}&city=London&radius_km=900", "radius must be between"),
    ("specialty={cardio}&city=London&radius_km=abc", "number of kilometres"),
    ("specialty={cardio}&from={d5}&to={d1}", "must not be before"),
    ("specialty={cardio}&from={d1}&to={d200}", "at most 92 days"),
    ("specialty={cardio}&from=yesterday", "must be a date"),
    ("specialty={cardio}&from={past}", "cannot be in the past"),
    ("city=London", "Choose a specialty, a hospital or a doctor"),
    ("specialty={cardio}&hospital=abc", "Unknown hospital"),
    ("specialty={cardio}&lat=91&lon=0", "not on Earth"),
])
def test_search_bad_input_is_a_422_on_the_form(client, region, query, message):
    url = "/search?" + query.format(cardio=region["cardio"].id, d1=day(1), d5=day(5), d200=day(200),
                                    past=day(-10))
    res = client.get(url)
    assert res.status_code == 422, url
    page = res.get_data(as_text=True)
    assert message in page.replace("&#39;", "'")
    assert "invalid-feedback" in page and 'id="search-form"' in page


def test_empty_result_suggests_wider_radius_and_later_dates(client, region, make):
    far = make.specialty("Dermatology", "DER")
    res = client.get(f"/search?specialty={far.id}&city=London&radius_km=50")
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert "No free appointments match" in page
    assert "radius_km=100" in page and "Search within 100 km" in page
    assert "Search the four weeks after these dates" in page
    assert "waitlist" not in page.lower() or "/waitlist" in page  # never a dead link


def test_api_and_page_share_the_reading_of_a_request(app, region):
    from app.services.availability.query import SearchError, parse_slot_request

    query = parse_slot_request({"specialty": "cardiology", "city": "london", "radius_km": "50"}, day(0))
    assert query.near == (51.5, -0.12) and query.radius_km == 50 and query.last_day == day(13)
    with pytest.raises(SearchError) as err:
        parse_slot_request({"specialty": "cardiology", "radius_km": "50"}, day(0))
    assert err.value.field == "near"


# --- doctor and hospital pages ---

def test_doctor_page_shows_profile_hospitals_free_and_booked_slots(client, region, make):
    doctor, london = region["doc_l"], region["london"]
    booking.book(None, make.patient(), doctor, utc_at(1, 9, 30))
    db.session.commit()
    res = client.get(f"/doctors/{doctor.id}")
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert "MD, FRCP" in page and "English" in page and "French" in page and str(doctor.fee) in page
    assert f"/hospitals/{london.id}" in page
    booked = page.index(f'data-start="{iso_at(1, 9, 30)}"')
    assert 'data-state="booked"' in page[booked:booked + 200]
    free = page.index(f'data-start="{iso_at(1, 9, 15)}"')
    assert 'data-state="free"' in page[free:free + 200]
    assert client.get("/doctors/99999").status_code == 404


def test_hospital_page_lists_address_departments_and_links_doctors(client, region):
    res = client.get(f"/hospitals/{region['london'].id}")
    page = res.get_data(as_text=True)
    assert "1 River Road" in page and "Departments" in page
    assert f"/doctors/{region['doc_l'].id}" in page
    assert f"/search?hospital={region['london'].id}" in page


# --- booking ---

def test_book_after_login_comes_back_to_the_same_slot(client, region, make, emitted):
    doctor, london = region["doc_l"], region["london"]
    url = book_url(doctor, london, iso_at(3, 10))
    res = client.get(url)
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"]
    next_url = parse_qs(urlsplit(res.headers["Location"]).query)["next"][0]
    user = make.user(Role.PATIENT)
    res = client.post("/auth/login?" + "next=" + next_url.replace("&", "%26").replace("+", "%2B"),
                      data={"email": user.email, "password": PASSWORD})
    assert res.status_code == 302 and res.headers["Location"].startswith("/patient/book?")
    res = client.get(res.headers["Location"])
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert "Confirm your appointment" in page and "Dr Ada Heart" in page and "Thames Hospital" in page
    res = client.post(url, data={"reason": "palpitations", "urgency": "routine"})
    assert res.status_code == 302
    appointment = db.session.scalar(select(Appointment))
    assert appointment.start == utc_at(3, 10) and appointment.reason == "palpitations"
    assert res.headers["Location"].endswith(f"/patient/appointments/{appointment.id}?booked=1")
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "You are booked" in page and "Add to calendar" in page
    assert emitted == [("slot.changed", {"doctor_id": doctor.id, "hospital_id": london.id,
                                         "start": iso_at(3, 10), "end": iso_at(3, 10, 15), "status": "booked"},
                        f"doctor:{doctor.id}")]


def test_replayed_confirm_form_books_once_with_a_friendly_409(client, region, make, auth):
    login_patient(make, auth)
    url = book_url(region["doc_l"], region["london"], iso_at(3, 10))
    assert client.post(url, data={"reason": ""}).status_code == 302
    res = client.post(url, data={"reason": ""})
    assert res.status_code == 409
    assert "You already have an appointment at this time" in res.get_data(as_text=True).replace("&#39;", "'")
    assert db.session.scalar(select(func.count(Appointment.id))) == 1


def test_slot_taken_meanwhile_offers_alternatives_with_409(client, region, make, auth):
    login_patient(make, auth)
    london, doctor = region["london"], region["doc_l"]
    other = make.doctor(london, region["cardio"], name="Dr Cy Other")
    make.schedule(other, london)
    url = book_url(doctor, london, iso_at(3, 10))
    booking.book(None, make.patient(), doctor, utc_at(3, 10))
    db.session.commit()
    for res in (client.get(url), client.post(url, data={"reason": "x"})):
        assert res.status_code == 409
        page = res.get_data(as_text=True)
        assert "someone else booked this time a moment ago" in page
        assert "Other times with Dr Ada Heart" in page and f'data-start="{iso_at(3, 9, 45)}"' in page
        assert "Dr Cy Other" in page
    assert db.session.scalar(select(func.count(Appointment.id))) == 1


def test_forged_start_or_doctor_is_refused(client, region, make, auth):
    login_patient(make, auth)
    london, doctor = region["london"], region["doc_l"]
    assert client.get(book_url(doctor, london, "not-a-time")).status_code == 404
    assert client.get(book_url(doctor, region["berlin"], iso_at(3, 10))).status_code == 404
    assert client.get("/patient/book?doctor=99999&hospital=1&start=x").status_code == 404
    res = client.post(book_url(doctor, london, iso_at(3, 10, 7)), data={"reason": ""})  # not a slot start
    assert res.status_code == 422 and db.session.scalar(select(func.count(Appointment.id))) == 0


def test_register_carries_next_through_verification(client, region, make):
    user = make.user(Role.PATIENT, verified=False)
    target = book_url(region["doc_l"], region["london"], iso_at(3, 10))
    client.get("/auth/register?next=" + target.replace("&", "%26").replace("+", "%2B"))
    res = client.get(f"/auth/verify/{accounts.verification_token(user)}")
    assert res.status_code == 302
    location = urlsplit(res.headers["Location"])
    assert location.path == "/auth/login" and parse_qs(location.query)["next"] == [target.replace("%2B", "+")]
    res = client.get("/auth/register?next=https://evil.example/")  # only same-site paths are kept
    res = client.get(f"/auth/verify/{accounts.verification_token(user)}")
    assert "next=" not in res.headers["Location"]


# --- my appointments ---

@pytest.fixture
def booked(client, region, make, auth):
    user = login_patient(make, auth)
    from app.models import Patient

    patient = db.session.scalar(select(Patient).where(Patient.user_id == user.id))
    appointment = booking.book(user.id, patient, region["doc_l"], utc_at(3, 10), reason="check-up")
    db.session.commit()
    return appointment


def test_home_lists_upcoming_with_actions_and_cutoff(client, booked):
    page = client.get("/patient/").get_data(as_text=True)
    assert "Dr Ada Heart" in page and f"/patient/appointments/{booked.id}/cancel" in page
    assert f"/patient/appointments/{booked.id}/reschedule" in page and "calendar.ics" in page
    change_until = core.to_local(booked.start - timedelta(hours=24), ZoneInfo(booked.hospital.timezone))
    assert f"Online changes until {change_until:%a %-d %b %Y, %H:%M}" in page


def test_ics_download_has_a_stable_uid(client, booked):
    res = client.get(f"/patient/appointments/{booked.id}/calendar.ics")
    assert res.status_code == 200 and res.mimetype == "text/calendar"
    assert "attachment" in res.headers["Content-Disposition"]
    event = Calendar.from_ical(res.data).walk("VEVENT")[0]
    assert str(event["UID"]) == f"appointment-{booked.id}@waitless"
    assert event.decoded("DTSTART").replace(tzinfo=None) == booked.start
    assert "Dr Ada Heart" in str(event["SUMMARY"]) and "Thames Hospital" in str(event["LOCATION"])
    again = Calendar.from_ical(client.get(f"/patient/appointments/{booked.id}/calendar.ics").data)
    assert str(again.walk("VEVENT")[0]["UID"]) == str(event["UID"])


def test_someone_elses_appointment_is_404(client, booked, make, auth):
    auth.logout()
    login_patient(make, auth)
    for suffix in ("", "/calendar.ics", "/cancel", "/reschedule"):
        assert client.get(f"/patient/appointments/{booked.id}{suffix}").status_code == 404, suffix
    assert client.post(f"/patient/appointments/{booked.id}/cancel", data={"reason": "x"}).status_code == 404
    assert db.session.get(Appointment, booked.id).status == "scheduled"


def test_cancel_with_reason_frees_the_slot(client, booked, emitted):
    res = client.post(f"/patient/appointments/{booked.id}/cancel", data={"reason": ""})
    assert res.status_code == 422
    res = client.post(f"/patient/appointments/{booked.id}/cancel", data={"reason": "feeling better"})
    assert res.status_code == 302
    db.session.refresh(booked)
    assert booked.status == "cancelled" and booked.cancel_reason == "feeling better"
    assert db.session.scalar(select(func.count(Claim.id)).where(Claim.appointment_id == booked.id)) == 0
    assert [(e[1]["status"], e[1]["start"]) for e in emitted] == [("freed", iso_at(3, 10))]


def test_cancel_after_the_hospitals_cutoff_is_refused(client, booked):
    booked.hospital.cancel_cutoff_hours = 24 * 30  # a cut-off set per hospital
    db.session.commit()
    res = client.post(f"/patient/appointments/{booked.id}/cancel", data={"reason": "late"})
    assert res.status_code == 409 and "until 720 hours before" in res.get_data(as_text=True)
    assert client.get(f"/patient/appointments/{booked.id}/reschedule").status_code == 409
    assert db.session.get(Appointment, booked.id).status == "scheduled"


def test_reschedule_lists_same_doctor_and_moves(client, booked, region, emitted):
    page = client.get(f"/patient/appointments/{booked.id}/reschedule").get_data(as_text=True)
    own = page.index(f'data-start="{iso_at(3, 10)}"')
    assert 'data-state="booked"' in page[own:own + 200]  # the current time shows booked, not offered
    assert f'value="{iso_at(4, 11)}"' in page and "Dr Bea Herz" not in page
    res = client.post(f"/patient/appointments/{booked.id}/reschedule", data={"start": iso_at(4, 11)})
    assert res.status_code == 302
    db.session.refresh(booked)
    assert booked.start == utc_at(4, 11)
    assert sorted((e[1]["status"], e[1]["start"]) for e in emitted) == [("booked", iso_at(4, 11)),
                                                                         ("freed", iso_at(3, 10))]


def test_reschedule_to_a_taken_time_is_a_friendly_409(client, booked, region, make):
    booking.book(None, make.patient(), region["doc_l"], utc_at(4, 11))
    db.session.commit()
    res = client.post(f"/patient/appointments/{booked.id}/reschedule", data={"start": iso_at(4, 11)})
    assert res.status_code == 409 and "moment ago" in res.get_data(as_text=True)
    db.session.refresh(booked)
    assert booked.start == utc_at(3, 10)


# --- live events from the API ---

def test_api_booking_cancel_and_move_announce_slot_changes(client, runner, region, make, emitted):
    user = make.user(Role.PATIENT)
    token = runner.invoke(args=["users", "token", "--email", user.email]).output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    res = client.post("/api/v1/appointments", json={"doctor_id": region["doc_l"].id, "start": iso_at(3, 9)},
                      headers=headers)
    assert res.status_code == 201
    appointment_id = res.get_json()["id"]
    client.post(f"/api/v1/appointments/{appointment_id}/reschedule", json={"start": iso_at(3, 11)}, headers=headers)
    client.post(f"/api/v1/appointments/{appointment_id}/cancel", json={"reason": "x"}, headers=headers)
    assert [(e[1]["status"], e[1]["start"]) for e in emitted] == [
        ("booked", iso_at(3, 9)), ("freed", iso_at(3, 9)), ("booked", iso_at(3, 11)), ("freed", iso_at(3, 11))]


def test_rolled_back_changes_are_never_announced(app, region, make, emitted):
    from app import realtime

    booking.book(None, make.patient(), region["doc_l"], utc_at(3, 9))
    db.session.rollback()
    db.session.commit()
    assert realtime.publish_slot_changes() == 0 and emitted == []
