"""The theatre pages: the room list, a room's day with its booking form, emergencies that e-mail, and access."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AuditEvent, Claim, Hospital, LocationAccess, Patient, Role, Room, User
from app.models.base import utcnow
from app.services import locations
from app.services.availability import resource_for_room
from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule

LONDON = ZoneInfo("Europe/London")


def next_monday() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


def utc(day: date, hhmm: str):
    return core.to_utc(day, time.fromisoformat(hhmm), LONDON)


@dataclass
class Theatre:
    hospital: Hospital
    room: Room
    admin: User  # manages every room of the hospital
    surgeon: object  # a Doctor allowed to book
    nurse: User  # sees the day, may not book
    patient: Patient
    day: date

    @property
    def url(self) -> str:
        return f"/locations/{self.room.id}"


@pytest.fixture
def theatre(make) -> Theatre:
    hospital = make.hospital(name="Thames Riverside Hospital")
    room = Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", bookable=True)
    db.session.add(room)
    db.session.flush()
    rules = [RuleInput(weekday=d, start=time(8), end=time(18), slot_minutes=30) for d in range(5)]
    put_schedule(None, resource_for_room(room.id).id, hospital.id,
                 ScheduleInput(valid_from=date.today() - timedelta(days=30), valid_till=None, rules=rules,
                               min_notice_minutes=0))
    db.session.commit()
    admin = make.user(Role.ADMIN, hospital, name="Ada Admin")
    surgeon = make.doctor(hospital, make.specialty("Surgery", "SUR"), name="Dr Grey")
    locations.grant(admin.id, room, surgeon.user, "booker")
    db.session.commit()
    nurse = make.user(Role.NURSE, hospital)
    patient = make.patient(name="Paula Patient")
    return Theatre(hospital, room, admin, surgeon, nurse, patient, next_monday())


def _form(t: Theatre, hhmm: str, minutes: int = 60, **extra) -> dict:
    data = {"day": t.day.isoformat(), "start_time": hhmm, "minutes": str(minutes), "doctor_id": "",
            "patient_id": "", "reason": "hip replacement"}
    data.update({k: str(v) for k, v in extra.items()})
    return data


def _room_appointments(t: Theatre) -> list[Appointment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Appointment).where(Appointment.room_id == t.room.id)
                                   .order_by(Appointment.start)))


def _mails(folder) -> list:
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


# --- the list -------------------------------------------------------------------------------------------------------

def test_index_lists_the_bookable_rooms_of_ones_hospitals(client, auth, make, theatre):
    db.session.add_all([Room(hospital_id=theatre.hospital.id, name="Consulting 1", bookable=False),
                        Room(hospital_id=theatre.hospital.id, name="Old theatre", bookable=True, active=False)])
    other = make.hospital(name="Elsewhere General")
    db.session.add(Room(hospital_id=other.id, name="Theatre Z", kind="operating_theatre", bookable=True))
    db.session.commit()

    auth.login(theatre.nurse.email)
    page = client.get("/locations/").get_data(as_text=True)
    assert "Theatre A" in page and "Operating theatre" in page and "Thames Riverside Hospital" in page
    assert "View only" in page
    assert "Consulting 1" not in page and "Old theatre" not in page and "Theatre Z" not in page
    assert 'href="/locations/"' in page  # the navigation entry
    auth.logout()

    auth.login(theatre.surgeon.user.email)
    assert "Booker" in client.get("/locations/").get_data(as_text=True)
    auth.logout()

    region_admin = make.user(Role.ADMIN)
    auth.login(region_admin.email)
    page = client.get("/locations/").get_data(as_text=True)
    assert "Theatre A" in page and "Theatre Z" in page and "Manager" in page


def test_patients_may_not_enter(client, auth, make, theatre):
    auth.login(theatre.patient.user.email)
    assert client.get("/locations/").status_code == 403
    assert client.get(theatre.url).status_code == 403


# --- the day --------------------------------------------------------------------------------------------------------

def test_day_view_lists_sessions_bookings_and_free_time(client, auth, theatre):
    locations.book_location(theatre.admin, theatre.room, utc(theatre.day, "10:00"), 60, doctor=theatre.surgeon,
                            patient=theatre.patient, reason="knee arthroscopy")
    db.session.commit()
    auth.login(theatre.nurse.email)
    res = client.get(f"{theatre.url}?day={theatre.day.isoformat()}")
    page = res.get_data(as_text=True)
    assert res.status_code == 200
    zone = core.to_local(utc(theatre.day, "08:00"), LONDON).tzname()
    assert f"08:00–18:00 ({zone})" in page and f"10:00–11:00 ({zone})" in page  # local time, zone named
    assert "30-minute slots" in page
    assert "Paula Patient" in page and "Dr Grey" in page and "knee arthroscopy" in page
    assert page.count('data-free="') == 2  # 08:00-10:00 and 11:00-18:00
    assert 'data-free="11:00"' in page
    assert "EMERGENCY" not in page
    # a viewer without access sees the day but no form
    assert 'name="minutes"' not in page and "ask one of its managers" in page
    prev_day, next_day = theatre.day - timedelta(days=1), theatre.day + timedelta(days=1)
    assert f"day={prev_day.isoformat()}" in page and f"day={next_day.isoformat()}" in page


def test_day_view_defaults_to_today_and_rejects_a_bad_day(client, auth, theatre):
    auth.login(theatre.nurse.email)
    page = client.get(theatre.url).get_data(as_text=True)
    assert f'id="day-pick" name="day" value="{core.local_day(utcnow(), LONDON).isoformat()}"' in page
    assert client.get(f"{theatre.url}?day=soon").status_code == 400


def test_managers_see_the_emergency_choice_and_bookers_do_not(client, auth, theatre):
    auth.login(theatre.admin.email)
    page = client.get(theatre.url).get_data(as_text=True)
    assert 'name="emergency"' in page and "cancels every elective booking it overlaps" in page
    assert "Manage access" in page
    auth.logout()
    auth.login(theatre.surgeon.user.email)
    page = client.get(f"{theatre.url}?day={theatre.day.isoformat()}&start=09:30").get_data(as_text=True)
    assert 'name="minutes"' in page and 'name="emergency"' not in page
    assert 'value="09:30"' in page  # prefilled from a free stretch


def test_another_hospitals_room_is_not_found(client, auth, make, theatre):
    other = make.hospital(name="Elsewhere General")
    stranger = make.user(Role.ADMIN, other)
    auth.login(stranger.email)
    assert client.get(theatre.url).status_code == 404
    assert client.post(f"{theatre.url}/bookings", data=_form(theatre, "10:00")).status_code == 404
    assert client.get(f"{theatre.url}/access").status_code == 404
    assert client.get("/locations/999999").status_code == 404
    assert _room_appointments(theatre) == []


# --- booking --------------------------------------------------------------------------------------------------------

def test_a_booker_books_an_elective_case(client, auth, theatre):
    auth.login(theatre.surgeon.user.email)
    res = client.post(f"{theatre.url}/bookings",
                      data=_form(theatre, "10:00", 90, doctor_id=theatre.surgeon.id, patient_id=theatre.patient.id))
    assert res.status_code == 302 and f"day={theatre.day.isoformat()}" in res.headers["Location"]
    (appt,) = _room_appointments(theatre)
    assert appt.start == utc(theatre.day, "10:00") and appt.end == utc(theatre.day, "11:30")
    assert (appt.doctor_id, appt.patient_id, appt.booked_by_id) == (theatre.surgeon.id, theatre.patient.id,
                                                                   theatre.surgeon.user.id)
    assert appt.kind == "location" and not appt.emergency and appt.reason == "hip replacement"
    assert db.session.query(Claim).filter_by(appointment_id=appt.id).count() == 2 * 18  # room and surgeon
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "Booked Theatre A on" in page and "for 90 minutes" in page


def test_an_emergency_displaces_and_tells_the_owners_after_the_commit(client, auth, theatre, mail_folder):
    elective = locations.book_location(theatre.surgeon.user, theatre.room, utc(theatre.day, "10:00"), 60,
                                       doctor=theatre.surgeon, patient=theatre.patient).appointment
    later = locations.book_location(theatre.surgeon.user, theatre.room, utc(theatre.day, "13:00"), 60).appointment
    db.session.commit()
    auth.login(theatre.admin.email)
    res = client.post(f"{theatre.url}/bookings", data=_form(theatre, "10:35", 50, emergency="y",
                                                            reason="ruptured appendix"), follow_redirects=True)
    page = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "1 elective booking was displaced and its owners were told." in page
    assert "EMERGENCY" in page and "Displaced by an emergency booking" in page

    db.session.expire_all()
    assert db.session.get(Appointment, elective.id).status == "cancelled"
    assert db.session.get(Appointment, later.id).status == "scheduled"
    emergency = db.session.scalar(select(Appointment).where(Appointment.emergency.is_(True)))
    assert emergency.start == utc(theatre.day, "10:35") and emergency.booked_by_id == theatre.admin.id

    mails = _mails(mail_folder)
    assert sorted(m["To"] for m in mails) == sorted([theatre.surgeon.user.email, theatre.patient.user.email])
    for msg in mails:
        body = msg.get_body(("plain",)).get_content()
        assert "Theatre A" in msg["Subject"] and "emergency" in msg["Subject"]
        assert "10:00" in body and "Paula Patient" in body
    links = {m["To"]: m.get_body(("plain",)).get_content() for m in mails}
    assert f"/locations/{theatre.room.id}?day=" in links[theatre.surgeon.user.email]
    assert "/patient/" in links[theatre.patient.user.email]


def test_an_emergency_on_an_empty_room_sends_nothing(client, auth, theatre, mail_folder):
    auth.login(theatre.admin.email)
    res = client.post(f"{theatre.url}/bookings", data=_form(theatre, "19:05", 30, emergency="y"),
                      follow_redirects=True)
    assert "Emergency booked in Theatre A" in res.get_data(as_text=True)
    (appt,) = _room_appointments(theatre)
    assert appt.emergency and appt.urgency == "urgent"
    assert _mails(mail_folder) == []


def test_invalid_input_is_refused_with_422_and_kept(client, auth, theatre):
    auth.login(theatre.surgeon.user.email)
    res = client.post(f"{theatre.url}/bookings", data=_form(theatre, "10:00", 17, reason="keep me"))
    page = res.get_data(as_text=True)
    assert res.status_code == 422 and "Use a multiple of 5 minutes." in page
    assert 'value="keep me"' in page and 'value="10:00"' in page and 'value="17"' in page

    # off the slot grid: the service's error, on the start time's field
    res = client.post(f"{theatre.url}/bookings",
                      data=_form(theatre, "10:10", 60, reason="keep me too", patient_id=theatre.patient.id))
    page = res.get_data(as_text=True)
    assert res.status_code == 422 and 'id="start_time"' in page and "is-invalid" in page
    assert 'value="keep me too"' in page
    assert re.search(rf'<option selected value="{theatre.patient.id}">Paula Patient', page)

    res = client.post(f"{theatre.url}/bookings", data={"day": "", "start_time": "", "minutes": ""})
    assert res.status_code == 422 and "Enter the start time." in res.get_data(as_text=True)
    assert _room_appointments(theatre) == []


def test_a_taken_time_is_a_409_conflict(client, auth, theatre):
    locations.book_location(theatre.admin, theatre.room, utc(theatre.day, "10:00"), 60)
    db.session.commit()
    auth.login(theatre.surgeon.user.email)
    res = client.post(f"{theatre.url}/bookings", data=_form(theatre, "10:30", 30, reason="squeeze in"))
    assert res.status_code == 409 and 'value="squeeze in"' in res.get_data(as_text=True)
    assert len(_room_appointments(theatre)) == 1


def test_only_managers_and_bookers_may_post(client, auth, make, theatre):
    clerk = make.user(Role.STAFF, theatre.hospital)
    for user in (theatre.nurse, clerk):
        auth.login(user.email)
        assert client.post(f"{theatre.url}/bookings", data=_form(theatre, "10:00")).status_code == 403
        assert client.get(f"{theatre.url}/access").status_code == 403
        auth.logout()
    auth.login(theatre.surgeon.user.email)  # a booker may not ask for an emergency, nor manage access
    assert client.post(f"{theatre.url}/bookings", data=_form(theatre, "10:00", emergency="y")).status_code == 403
    assert client.post(f"{theatre.url}/access/booker",
                       data={"booker-user_id": str(theatre.surgeon.user.id)}).status_code == 403
    assert _room_appointments(theatre) == []


def test_cancel_by_the_booker_or_a_manager(client, auth, make, theatre):
    own = locations.book_location(theatre.surgeon.user, theatre.room, utc(theatre.day, "09:00"), 60).appointment
    admins = locations.book_location(theatre.admin, theatre.room, utc(theatre.day, "14:00"), 60).appointment
    db.session.commit()
    auth.login(theatre.surgeon.user.email)
    page = client.get(f"{theatre.url}?day={theatre.day.isoformat()}").get_data(as_text=True)
    assert f"/bookings/{own.id}/cancel" in page and f"/bookings/{admins.id}/cancel" not in page
    assert client.post(f"{theatre.url}/bookings/{admins.id}/cancel").status_code == 403
    res = client.post(f"{theatre.url}/bookings/{own.id}/cancel")
    assert res.status_code == 302
    auth.logout()
    auth.login(theatre.admin.email)
    assert client.post(f"{theatre.url}/bookings/{admins.id}/cancel").status_code == 302
    db.session.expire_all()
    assert {a.status for a in _room_appointments(theatre)} == {"cancelled"}
    assert db.session.query(Claim).count() == 0
    assert client.post(f"{theatre.url}/bookings/999999/cancel").status_code == 404


# --- access ---------------------------------------------------------------------------------------------------------

def test_managers_grant_and_revoke_access(client, auth, make, theatre):
    clerk = make.user(Role.STAFF, theatre.hospital, name="Clara Clerk")
    junior = make.doctor(theatre.hospital, theatre.surgeon.specialty, name="Dr Junior")
    auth.login(theatre.admin.email)
    page = client.get(f"{theatre.url}/access").get_data(as_text=True)
    assert "Dr Grey" in page and "Clara Clerk" in page and "Dr Junior" in page

    assert client.post(f"{theatre.url}/access/booker", data={"booker-user_id": str(junior.user.id)}).status_code == 302
    assert client.post(f"{theatre.url}/access/manager", data={"manager-user_id": str(clerk.id)}).status_code == 302
    # a doctor cannot be made a manager here, nor staff a booker
    res = client.post(f"{theatre.url}/access/manager", data={"manager-user_id": str(junior.user.id)})
    assert res.status_code == 422 and "Not a valid choice" in res.get_data(as_text=True)
    assert client.post(f"{theatre.url}/access/booker", data={"booker-user_id": ""}).status_code == 422

    db.session.expire_all()
    assert locations.access_role(junior.user, theatre.room) == "booker"
    assert locations.access_role(clerk, theatre.room) == "manager"
    auth.logout()

    # the new manager now manages: revokes the surgeon
    auth.login(clerk.email)
    row = db.session.scalar(select(LocationAccess).where(LocationAccess.user_id == theatre.surgeon.user.id))
    assert client.post(f"{theatre.url}/access/{row.id}/revoke").status_code == 302
    db.session.expire_all()
    assert locations.access_role(theatre.surgeon.user, theatre.room) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "location.revoke"))
    assert event.actor_id == clerk.id and event.before == {"user_id": theatre.surgeon.user.id, "role": "booker"}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "location.grant",
                                                      AuditEvent.actor_id == theatre.admin.id))
