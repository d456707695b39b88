"""The waitlist's pages over HTTP against the real services (issue #7): joining (validation, prefill, login round
trip, "earlier slot, please"), My waitlist with its offers, the offer link in each of its states, and the desk's
candidates for a freed slot, scoped to the desk's hospitals.

Slots are a few days ahead in London's local time, computed from today, so any day of the week works.
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Offer, Patient, Role, WaitlistEntry
from app.models.base import utcnow
from app.services import booking, waitlist
from app.services.availability.views import local_today
from tests.conftest import PASSWORD

TZ = "Europe/London"


def day(n: int) -> date:
    return local_today(TZ) + timedelta(days=n)


def at(n: int, hh: int, mm: int = 0):
    """Naive UTC of hh:mm London time, n days from today."""
    return core.to_utc(day(n), time(hh, mm), ZoneInfo(TZ))


def patient_of(user) -> Patient:
    return db.session.scalar(select(Patient).where(Patient.user_id == user.id))


def entries() -> list[WaitlistEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)))


@pytest.fixture
def clinic(make):
    """Cardiology at a London hospital (every day 09:00-12:00, 15-minute slots) and a second hospital in Oxford."""
    cardio = make.specialty("Cardiology", "CAR")
    london = make.hospital(name="Thames Riverside Hospital")
    oxford = make.hospital(name="Radcliffe Park Hospital", city="Oxford", lat=51.75, lon=-1.26)
    ada = make.doctor(london, cardio, name="Dr Ada Heart")
    ben = make.doctor(oxford, cardio, name="Dr Ben Pulse")
    make.schedule(ada, london)
    make.schedule(ben, oxford)
    return {"cardio": cardio, "london": london, "oxford": oxford, "ada": ada, "ben": ben}


def join(user, clinic, latest_days: int = 10, **kw) -> WaitlistEntry:
    wish = waitlist.Wish(specialty_id=clinic["cardio"].id, latest=day(latest_days), **kw)
    entry = waitlist.join(user.id, patient_of(user), wish)
    db.session.commit()
    return entry


def offer(clinic, entries_, n: int = 2, hh: int = 9) -> list[Offer]:
    """Offer Dr Ada's slot n days ahead at hh:00 to these entries (a hold, as after a cancellation)."""
    made = waitlist.offer_slot(None, clinic["london"].id, clinic["ada"].id, at(n, hh), at(n, hh, 15),
                               entries=entries_)
    db.session.commit()
    return made


def field_input(page: str, name: str, value: str | None = None) -> str:
    """The <input> tag of that name (and value, for checkboxes and radios)."""
    for tag in re.findall(r"<input [^>]*>", page):
        if f'name="{name}"' in tag and (value is None or f'value="{value}"' in tag):
            return tag
    raise AssertionError(f"no input {name}={value}")


def checked(page: str, name: str, value) -> bool:
    return re.search(r"\schecked[\s>]", field_input(page, name, str(value))) is not None


def value_of(page: str, name: str) -> str:
    return re.search(r'value="([^"]*)"', field_input(page, name)).group(1)


def selected(page: str, name: str) -> str:
    select_ = re.search(rf'<select [^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    found = re.search(r'<option selected value="([^"]*)"', select_)
    return found.group(1) if found else ""


def form(**values) -> dict:
    data = {"specialty": "", "doctor": "", "city": "", "radius_km": "", "latest": day(10).isoformat(),
            "urgency": "routine", "appointment_type": ""}
    data.update(values)
    return data


# --- joining ---

def test_the_form_is_prefilled_from_the_search(client, auth, make, clinic):
    auth.login(make.user(Role.PATIENT).email)
    london = clinic["london"]
    res = client.get(f"/patient/waitlist/new?specialty={clinic['cardio'].id}&hospital={london.id}&urgency=urgent"
                     f"&city=London&radius_km=30&appointment_type=follow_up&latest={day(9).isoformat()}")
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert selected(page, "specialty") == str(clinic["cardio"].id) and selected(page, "doctor") == ""
    assert checked(page, "hospitals", london.id) and not checked(page, "hospitals", clinic["oxford"].id)
    assert checked(page, "urgency", "urgent") and not checked(page, "urgency", "routine")
    assert selected(page, "city") == "London" and value_of(page, "radius_km") == "30"
    assert value_of(page, "latest") == day(9).isoformat()
    assert selected(page, "appointment_type") == "follow_up"


def test_a_doctor_page_and_an_empty_search_offer_the_waitlist(client, make, clinic):
    page = client.get(f"/doctors/{clinic['ada'].id}").get_data(as_text=True)
    assert f'href="/patient/waitlist/new?doctor={clinic["ada"].id}"' in page
    far = (day(200)).isoformat()
    res = client.get(f"/search?specialty={clinic['cardio'].id}&from={far}&to={far}")
    page = res.get_data(as_text=True)
    assert "No free appointments" in page and 'id="join-waitlist"' in page
    link = page.split('id="join-waitlist"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    args = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path == "/patient/waitlist/new"
    assert args["specialty"] == [str(clinic["cardio"].id)] and args["latest"] == [far]
    soon = day(2).isoformat()
    page = client.get(f"/search?specialty={clinic['cardio'].id}&city=London&radius_km=20&from={soon}&to={soon}")
    page = page.get_data(as_text=True)
    assert "data-slot" in page and 'id="join-waitlist"' in page  # results, and still the way to wait for earlier
    link = page.split('id="join-waitlist"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query)["city"] == ["London"] and parse_qs(urlsplit(link).query)["radius_km"] == [
        "20"]


def test_anonymous_patients_log_in_and_come_back_to_the_form(client, make, clinic):
    url = f"/patient/waitlist/new?specialty={clinic['cardio'].id}&urgency=urgent"
    res = client.get(url)
    assert res.status_code == 302 and "/auth/login" in res.headers["Location"]
    next_url = parse_qs(urlsplit(res.headers["Location"]).query)["next"][0]
    user = make.user(Role.PATIENT)
    res = client.post("/auth/login?next=" + quote(next_url, safe="/?"),
                      data={"email": user.email, "password": PASSWORD})
    assert res.status_code == 302 and res.headers["Location"] == url
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert selected(page, "specialty") == str(clinic["cardio"].id) and checked(page, "urgency", "urgent")


def test_join_validates_each_field_and_refuses_a_duplicate(client, auth, make, clinic):
    user = make.user(Role.PATIENT)
    auth.login(user.email)
    res = client.post("/patient/waitlist/new", data=form(latest=""))
    page = res.get_data(as_text=True)
    assert res.status_code == 422
    assert "Choose a specialty or a particular doctor." in page and "Choose the last day you can wait for." in page
    res = client.post("/patient/waitlist/new", data=form(specialty=clinic["cardio"].id,
                                                         latest=(day(0) - timedelta(days=3)).isoformat()))
    assert res.status_code == 422 and "is-invalid" in field_input(res.get_data(as_text=True), "latest")
    assert "The latest date is in the past." in res.get_data(as_text=True)
    assert entries() == []
    res = client.post("/patient/waitlist/new", data=form(radius_km="20", specialty=clinic["cardio"].id))
    assert res.status_code == 422 and "A radius needs a place" in res.get_data(as_text=True)
    good = form(specialty=clinic["cardio"].id, hospitals=[clinic["london"].id, clinic["oxford"].id],
                times_of_day=["morning", "evening"], urgency="urgent", latest=day(12).isoformat())
    res = client.post("/patient/waitlist/new", data=good)
    assert res.status_code == 302 and res.headers["Location"] == "/patient/waitlist"
    (entry,) = entries()
    assert (entry.patient_id, entry.specialty_id, entry.latest, entry.urgency) == (
        patient_of(user).id, clinic["cardio"].id, day(12), "urgent")
    assert set(entry.hospital_ids.split(",")) == {str(clinic["london"].id), str(clinic["oxford"].id)}
    assert set(entry.times_of_day.split(",")) == {"morning", "evening"}
    again = client.post("/patient/waitlist/new", data=good)
    assert again.status_code in (409, 422)
    assert 'is-invalid' in again.get_data(as_text=True) and len(entries()) == 1


def test_a_city_and_radius_become_the_place(client, auth, make, clinic):
    auth.login(make.user(Role.PATIENT).email)
    res = client.post("/patient/waitlist/new", data=form(doctor=clinic["ben"].id, city="Oxford", radius_km="25"))
    assert res.status_code == 302
    (entry,) = entries()
    assert entry.doctor_id == clinic["ben"].id and entry.specialty_id == clinic["cardio"].id
    assert (round(entry.near_lat, 2), round(entry.near_lon, 2), entry.radius_km) == (51.75, -1.26, 25)


def test_earlier_slot_please_keeps_the_booking(client, auth, make, clinic):
    user = make.user(Role.PATIENT)
    appointment = booking.book(None, patient_of(user), clinic["ada"], at(8, 10))
    db.session.commit()
    auth.login(user.email)
    page = client.get(f"/patient/appointments/{appointment.id}").get_data(as_text=True)
    assert f'href="/patient/waitlist/new?appointment={appointment.id}"' in page
    res = client.get(f"/patient/waitlist/new?appointment={appointment.id}")
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and "You keep your appointment on" in page
    assert value_of(page, "latest") == day(7).isoformat()
    assert selected(page, "specialty") == str(clinic["cardio"].id) and checked(page, "hospitals", clinic["london"].id)
    res = client.post("/patient/waitlist/new", data=form(specialty=clinic["cardio"].id, latest=day(7).isoformat(),
                                                         current_appointment=appointment.id))
    assert res.status_code == 302
    (entry,) = entries()
    assert entry.current_appointment_id == appointment.id
    assert db.session.get(Appointment, appointment.id).status == "scheduled"
    other = booking.book(None, make.patient(), clinic["ada"], at(9, 10))
    db.session.commit()
    assert client.get(f"/patient/waitlist/new?appointment={other.id}").status_code == 404


# --- My waitlist ---

def test_my_waitlist_lists_entries_and_offers_then_leave(client, auth, make, clinic):
    user = make.user(Role.PATIENT)
    entry = join(user, clinic, times_of_day=("morning",))
    auth.login(user.email)
    page = client.get("/patient/waitlist").get_data(as_text=True)
    assert "Cardiology" in page and "mornings" in page and "Leave the waitlist" in page
    assert 'data-status="waiting"' in page
    (made,) = offer(clinic, [entry])
    page = client.get("/patient/waitlist").get_data(as_text=True)
    assert f'data-offer="{made.id}"' in page and "Held for you until" in page and "Dr Ada Heart" in page
    assert "(GMT)" in page or "(BST)" in page
    res = client.post(f"/patient/waitlist/offers/{made.id}/decline")
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(Offer, made.id).status == "declined"
    res = client.post(f"/patient/waitlist/{entry.id}/leave")
    assert res.status_code == 302
    assert entries()[0].status != "waiting"
    assert "Leave the waitlist" not in client.get("/patient/waitlist").get_data(as_text=True)


def test_accept_from_my_waitlist_and_someone_elses_offer_is_404(client, auth, make, clinic):
    mine, theirs = make.user(Role.PATIENT), make.user(Role.PATIENT)
    my_entry, their_entry = join(mine, clinic), join(theirs, clinic)
    first = offer(clinic, [my_entry], hh=9)[0]
    second = offer(clinic, [their_entry], hh=10)[0]
    auth.login(mine.email)
    assert client.post(f"/patient/waitlist/offers/{second.id}/accept").status_code == 404
    assert client.post(f"/patient/waitlist/{their_entry.id}/leave").status_code == 404
    res = client.post(f"/patient/waitlist/offers/{first.id}/accept")
    assert res.status_code == 302 and "/patient/appointments/" in res.headers["Location"]
    db.session.expire_all()
    hold = db.session.get(Offer, first.id).hold
    assert (hold.status, hold.patient_id) == ("scheduled", patient_of(mine).id)
    assert db.session.get(Offer, second.id).status == "open"


# --- the offer link ---

def test_offer_link_open_then_accepted_with_a_calendar_file(client, make, clinic):
    user = make.user(Role.PATIENT, name="Bea Waiting")
    (made,) = offer(clinic, [join(user, clinic)])
    token = waitlist.offer_token(made)
    res = client.get(f"/offers/{token}")
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    assert "Dr Ada Heart" in page and "Thames Riverside Hospital" in page and "Bea Waiting" in page
    local = core.to_local(made.expires_at, ZoneInfo(TZ))
    assert f"Held for you until {local:%H:%M} ({local.tzname()})" in page
    assert f'action="/offers/{token}/accept"' in page and f'action="/offers/{token}/decline"' in page
    res = client.post(f"/offers/{token}/accept")
    assert res.status_code == 302 and res.headers["Location"] == f"/offers/{token}"
    page = client.get(f"/offers/{token}").get_data(as_text=True)
    assert "The appointment is yours" in page and f'href="/offers/{token}/calendar.ics"' in page
    ics = client.get(f"/offers/{token}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar" and b"BEGIN:VEVENT" in ics.data
    db.session.expire_all()
    appointment = db.session.get(Offer, made.id).hold
    assert (appointment.status, appointment.patient_id) == ("scheduled", patient_of(user).id)
    again = client.post(f"/offers/{token}/accept")  # a double click books nothing twice
    assert again.status_code == 409
    assert db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.patient_id == patient_of(user).id)) == 1


def test_offer_link_expired_is_409_and_nothing_is_booked(client, make, clinic):
    user = make.user(Role.PATIENT)
    (made,) = offer(clinic, [join(user, clinic)])
    past = utcnow() - timedelta(minutes=1)
    made.expires_at = past
    made.hold.hold_until = past
    db.session.commit()
    token = waitlist.offer_token(made)
    res = client.get(f"/offers/{token}")
    assert res.status_code == 409 and "This offer has expired" in res.get_data(as_text=True)
    res = client.post(f"/offers/{token}/accept")
    assert res.status_code == 409 and "expired" in res.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.patient_id == patient_of(user).id)) == 0
    assert 'href="/patient/waitlist"' in res.get_data(as_text=True)


def test_offer_link_forged_is_404(client, make, clinic):
    (made,) = offer(clinic, [join(make.user(Role.PATIENT), clinic)])
    token = waitlist.offer_token(made)
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    for url in (f"/offers/{forged}", "/offers/not-a-token"):
        res = client.get(url)
        assert res.status_code == 404 and "This link is not valid" in res.get_data(as_text=True)
    assert client.post(f"/offers/{forged}/accept").status_code == 404
    db.session.expire_all()
    assert db.session.get(Offer, made.id).status == "open"


def test_offer_link_declined_then_closed_and_taken_by_another(client, make, clinic):
    first, second = make.user(Role.PATIENT), make.user(Role.PATIENT)
    made = offer(clinic, [join(first, clinic), join(second, clinic)])
    assert len(made) == 2
    mine, theirs = (waitlist.offer_token(o) for o in made)
    res = client.post(f"/offers/{theirs}/decline")
    assert res.status_code == 200 and "You stay on the waitlist" in res.get_data(as_text=True)
    res = client.get(f"/offers/{theirs}")
    assert res.status_code == 409 and "You declined this offer" in res.get_data(as_text=True)
    assert client.post(f"/offers/{theirs}/accept").status_code == 409
    assert client.post(f"/offers/{mine}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(Offer, made[0].id).status == "accepted"


def test_an_offer_taken_by_another_patient_says_so(client, make, clinic):
    first, second = make.user(Role.PATIENT), make.user(Role.PATIENT)
    made = offer(clinic, [join(first, clinic), join(second, clinic)])
    winner, loser = (waitlist.offer_token(o) for o in made)
    assert client.post(f"/offers/{winner}/accept").status_code == 302
    res = client.get(f"/offers/{loser}")
    assert res.status_code == 409 and "another patient accepted this slot first" in res.get_data(as_text=True)
    res = client.post(f"/offers/{loser}/accept")
    assert res.status_code == 409
    assert db.session.scalar(select(func.count(Appointment.id)).where(
        Appointment.patient_id == patient_of(second).id)) == 0


def test_someone_elses_offer_link_while_logged_in_is_404(client, auth, make, clinic):
    owner, other = make.user(Role.PATIENT), make.user(Role.PATIENT)
    (made,) = offer(clinic, [join(owner, clinic)])
    token = waitlist.offer_token(made)
    auth.login(other.email)
    res = client.get(f"/offers/{token}")
    assert res.status_code == 404 and "sent to another patient" in res.get_data(as_text=True)
    assert client.post(f"/offers/{token}/accept").status_code == 404
    db.session.expire_all()
    assert db.session.get(Offer, made.id).status == "open"
    auth.logout()
    auth.login(owner.email)
    assert client.get(f"/offers/{token}").status_code == 200


# --- the desk ---

def test_desk_cancellation_leads_to_the_ranked_candidates(app, client, auth, make, clinic, monkeypatch):
    monkeypatch.setitem(app.config, "WAITLIST_OFFERS_AT_ONCE", 1)  # the best is offered; the next stays a candidate
    london, ada = clinic["london"], clinic["ada"]
    wendy = make.user(Role.PATIENT, name="Wendy Waiting", phone="+447700900123")
    walt = make.user(Role.PATIENT, name="Walt Routine", phone="+447700900456")
    join(wendy, clinic, urgency="urgent")
    walt_entry = join(walt, clinic)
    victim = booking.book(None, make.patient(name="Carl Cancel"), ada, at(3, 9))
    db.session.commit()
    staff = make.user(Role.STAFF, london)
    auth.login(staff.email)
    res = client.post(f"/staff/appointments/{victim.id}/cancel", data={"reason": "Patient phoned"})
    assert res.status_code == 302 and res.headers["Location"] == f"/staff/appointments/{victim.id}/waitlist"
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    offered, ranked = page.split('id="candidates-heading"')
    assert "Wendy Waiting" in offered and "+447700900123" in offered and "waiting for an answer" in offered
    assert "Walt Routine" in ranked and "+447700900456" in ranked and "Wendy" not in ranked
    assert f'data-candidate="{walt_entry.id}"' in ranked and "Book by phone" in ranked
    assert "<li>" in ranked.split(f'data-candidate="{walt_entry.id}"')[1]  # the reasons for the rank
    res = client.post(f"/staff/appointments/{victim.id}/waitlist/{walt_entry.id}/offer")
    assert res.status_code == 302
    db.session.expire_all()
    assert [o.status for o in db.session.get(WaitlistEntry, walt_entry.id).offers] == ["open"]
    page = client.get(f"/staff/appointments/{victim.id}/waitlist").get_data(as_text=True)
    assert "Walt Routine" in page.split('id="candidates-heading"')[0]
    waiting_list = client.get("/staff/waitlist").get_data(as_text=True)
    assert waiting_list.count("Wendy Waiting") == 1 and waiting_list.count("Walt Routine") == 1


def test_a_desk_cancellation_with_nobody_waiting_goes_back_to_the_patient(client, auth, make, clinic):
    patient = make.patient(name="Carl Cancel")
    victim = booking.book(None, patient, clinic["ada"], at(3, 9))
    db.session.commit()
    auth.login(make.user(Role.STAFF, clinic["london"]).email)
    res = client.post(f"/staff/appointments/{victim.id}/cancel", data={"reason": "Patient phoned"})
    assert res.status_code == 302 and res.headers["Location"] == f"/staff/patients/{patient.id}"
    page = client.get(f"/staff/appointments/{victim.id}/waitlist").get_data(as_text=True)
    assert "Nobody on the waitlist fits this slot" in page


def test_desk_books_a_candidate_by_phone(client, auth, make, clinic):
    waiting = make.user(Role.PATIENT, name="Wendy Waiting")
    entry = join(waiting, clinic)
    victim = booking.book(None, make.patient(), clinic["ada"], at(3, 9))
    db.session.commit()
    booking.cancel(None, victim, "moved away")
    db.session.commit()
    auth.login(make.user(Role.STAFF, clinic["london"]).email)
    res = client.post(f"/staff/appointments/{victim.id}/waitlist/{entry.id}/book")
    assert res.status_code == 302 and res.headers["Location"] == f"/staff/patients/{patient_of(waiting).id}"
    db.session.expire_all()
    mine = db.session.scalars(select(Appointment).where(Appointment.patient_id == patient_of(waiting).id)).all()
    assert [(a.start, a.status) for a in mine] == [(at(3, 9), "scheduled")]
    assert entries()[0].status == "booked"


def test_desk_pages_are_scoped_to_the_desks_hospitals(client, auth, make, clinic):
    entry = join(make.user(Role.PATIENT, name="Olive Oxford"), clinic, hospital_ids=(clinic["oxford"].id,))
    elsewhere = booking.book(None, make.patient(), clinic["ben"], at(3, 9))
    db.session.commit()
    auth.login(make.user(Role.STAFF, clinic["london"]).email)
    assert client.get(f"/staff/appointments/{elsewhere.id}/waitlist").status_code == 404
    assert client.post(f"/staff/appointments/{elsewhere.id}/waitlist/{entry.id}/offer").status_code == 404
    assert "Olive Oxford" not in client.get("/staff/waitlist").get_data(as_text=True)
    auth.logout()
    auth.login(make.user(Role.PATIENT).email)
    assert client.get("/staff/waitlist").status_code == 403
