"""The desk's team pages: search, book, refusals, the overview of appointments needing rebooking, day lists."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Claim, Role
from app.services import teams
from app.services.availability import resource_for_doctor
from app.services.availability.schedules import add_exception
from app.services.booking.lists import local_today
from tests.integration.team_world import team_world


def _tied_patient(make, hospital):
    """A patient the desk may see: one past visit at the hospital."""
    patient = make.patient()
    db.session.add(Appointment(patient_id=patient.id, hospital_id=hospital.id, start=datetime(2025, 1, 6, 9),
                               end=datetime(2025, 1, 6, 9, 15), status="completed"))
    db.session.commit()
    return patient


def _tomorrow(world):
    return local_today(world.hospital) + timedelta(days=1)


def _search_url(patient, world, day):
    return (f"/staff/patients/{patient.id}/teams?procedure={world.template.id}"
            f"&first_day={day.isoformat()}&last_day={day.isoformat()}")


def test_desk_searches_and_books_a_team(client, auth, make):
    world = team_world(make)
    clerk = make.user(Role.STAFF, world.hospital)
    patient = _tied_patient(make, world.hospital)
    auth.login(clerk.email)
    day = _tomorrow(world)
    page = client.get(_search_url(patient, world, day))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "surgeon: Surgeon 1" in html and "anaesthetist: Anaesthetist" in html and "theatre: Theatre A" in html
    start = datetime.combine(day, datetime.min.time()).replace(hour=9, tzinfo=ZoneInfo("Europe/London"))
    start_utc = start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    answer = client.post(_search_url(patient, world, day),
                         data={"procedure": world.template.id, "start": start_utc.isoformat(timespec="minutes")})
    assert answer.status_code == 302
    appointment = db.session.scalar(select(Appointment).where(Appointment.kind == "team"))
    assert appointment.start == start_utc and appointment.patient_id == patient.id
    # the same time again: the team is taken, nothing is written, the page says so
    again = client.post(_search_url(patient, world, day),
                        data={"procedure": world.template.id, "start": start_utc.isoformat(timespec="minutes")})
    assert again.status_code == 409
    assert "not free together" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.kind == "team")) == 1
    # the anaesthetist (a participant, not the appointment's doctor) sees it on their day list that day
    assert teams.day_list(world.anaesthetist.id, world.hospital.id, day)[0].id == appointment.id


def test_no_shared_time_says_so_and_books_nothing(client, auth, make):
    world = team_world(make, anaesthetist_start="13:00", anaesthetist_end="17:00")
    clerk = make.user(Role.STAFF, world.hospital)
    patient = _tied_patient(make, world.hospital)
    auth.login(clerk.email)
    html = client.get(_search_url(patient, world, _tomorrow(world))).get_data(as_text=True)
    assert "never share free time" in html
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_another_hospitals_desk_and_other_roles_cannot(client, auth, make):
    world = team_world(make)
    other = make.hospital()
    patient = _tied_patient(make, other)
    auth.login(make.user(Role.STAFF, other).email)
    day = _tomorrow(world)
    assert client.get(_search_url(patient, world, day)).status_code == 422  # not a choice at this desk
    answer = client.post(f"/staff/patients/{patient.id}/teams", data={"procedure": world.template.id,
                                                                      "start": f"{day}T09:00"})
    assert answer.status_code == 404
    client.post("/auth/logout")
    auth.login(world.anaesthetist.user.email)
    assert client.get(_search_url(patient, world, day)).status_code == 403


def test_overview_lists_team_appointments_hit_by_leave(client, auth, make):
    world = team_world(make)
    clerk = make.user(Role.STAFF, world.hospital)
    patient = _tied_patient(make, world.hospital)
    day = _tomorrow(world) + timedelta(days=1)
    start = datetime.combine(day, datetime.min.time()).replace(hour=9, tzinfo=ZoneInfo("Europe/London"))
    start = start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    appointment = teams.book_team(clerk, world.template, patient, start)
    db.session.commit()
    add_exception(None, resource_for_doctor(world.anaesthetist.id).id, world.hospital.id, start - timedelta(hours=1),
                  start + timedelta(hours=8), False, "Ill")
    db.session.commit()
    auth.login(clerk.email)
    html = client.get("/staff/teams").get_data(as_text=True)
    assert f"/staff/appointments/{appointment.id}/cancel" in html and "on leave" in html


def test_a_participant_sees_the_team_appointment_on_my_day(client, auth, make):
    from app.models import Participant
    from app.services.availability import resource_for_room
    from app.services.booking.lists import day_bounds

    world = team_world(make)
    patient = _tied_patient(make, world.hospital)
    start = day_bounds(world.hospital, local_today(world.hospital))[0] + timedelta(hours=1)  # today, whatever the hour
    appointment = Appointment(patient_id=patient.id, doctor_id=world.surgeons[0].id, room_id=world.theatre.id,
                              hospital_id=world.hospital.id, appointment_type="laser", start=start,
                              end=start + timedelta(hours=1), status="scheduled", kind="team", holds_room=True)
    db.session.add(appointment)
    db.session.flush()
    members = (("surgeon", resource_for_doctor(world.surgeons[0].id).id),
               ("anaesthetist", resource_for_doctor(world.anaesthetist.id).id),
               ("theatre", resource_for_room(world.theatre.id).id))
    db.session.add_all([Participant(appointment_id=appointment.id, resource_id=r, role=role) for role, r in members])
    db.session.commit()
    auth.login(world.anaesthetist.user.email)
    html = client.get("/doctor/").get_data(as_text=True)
    assert patient.name in html and "data-team" in html
    client.post("/auth/logout")
    auth.login(world.surgeons[1].user.email)  # not in this team
    assert patient.name not in client.get("/doctor/").get_data(as_text=True)
