"""Availability pages over HTTP: the doctor's own editor, staff and admins acting for a doctor, the week calendar.

Dates come from the hospital's local today ("next Monday" is computed from it), so the tests pass on any weekday.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import (
    AppointmentType,
    AuditEvent,
    AvailabilityException,
    Doctor,
    Membership,
    Role,
    Room,
    Schedule,
)
from app.services import booking
from app.services.availability import resource_for_doctor
from app.services.availability.schedules import add_exception
from app.services.availability.views import availability_preview, doctor_week, local_today


def next_monday(tz: str = "Europe/London") -> date:
    today = local_today(tz)
    return today + timedelta(days=7 - today.weekday())


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def schedules_of(doctor) -> list[Schedule]:
    db.session.expire_all()
    return list(db.session.scalars(select(Schedule).where(
        Schedule.resource_id == resource_for_doctor(doctor.id).id).order_by(Schedule.id)))


def form_data(valid_from: date, rows=(), **policy) -> dict:
    """What the browser posts: the given rows, then blank rows, then the policy fields."""
    data = {"valid_from": valid_from.isoformat(), "valid_till": "", "horizon_days": "60", "daily_limit": "",
            "min_notice_minutes": "0", "buffer_minutes": "0", "urgent_share": "0", "urgent_release_hours": "24",
            "submit": "save"}
    rows = list(rows) + [{}] * 2
    for i, row in enumerate(rows):
        values = {"weekday": "", "start": "", "end": "", "kind": "slots", "slot_minutes": "15",
                  "tokens_per_slot": "1"}
        values.update(row)
        for key, value in values.items():
            if isinstance(value, list):
                data[f"rules-{i}-{key}"] = value
            else:
                data[f"rules-{i}-{key}"] = str(value)
    data.update({k: str(v) for k, v in policy.items()})
    return data


MONDAY_MORNING = {"weekday": 0, "start": "09:00", "end": "12:00"}


@pytest.fixture
def clinic(make):
    hospital = make.hospital(name="Thames Riverside Hospital")
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Lovelace")
    return hospital, doctor


@pytest.fixture
def as_doctor(clinic, auth):
    hospital, doctor = clinic
    auth.login(doctor.user.email)
    return hospital, doctor


# --- the doctor's own page ---

def test_doctor_page_shows_editor_preview_and_zone(client, as_doctor, make):
    hospital, doctor = as_doctor
    db.session.add(AppointmentType(hospital_id=hospital.id, code="follow_up", name="Follow-up"))
    db.session.add(Room(hospital_id=hospital.id, name="Room 4"))
    db.session.commit()
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="10:00")
    page = client.get("/doctor/availability")
    assert page.status_code == 200
    html = page.data.decode()
    assert "My availability" in html and "Europe/London" in html
    assert 'value="09:00"' in html and "Follow-up" in html and "Room 4" in html
    assert "The next four weeks" in html and "09:00–10:00" in html and "4 free" in html
    assert 'href="/doctor/availability"' in html and 'href="/doctor/week"' in html  # nav items


def test_doctor_saves_weekly_hours(client, as_doctor):
    hospital, doctor = as_doctor
    db.session.add(AppointmentType(hospital_id=hospital.id, code="follow_up", name="Follow-up"))
    room = Room(hospital_id=hospital.id, name="Room 4")
    db.session.add(room)
    db.session.commit()
    monday = next_monday()
    rows = [dict(MONDAY_MORNING, appointment_types=["follow_up"], room_id=room.id),
            {"weekday": 2, "start": "14:00", "end": "16:00", "kind": "tokens", "slot_minutes": 60,
             "tokens_per_slot": 8}]
    res = client.post("/doctor/availability", data=form_data(monday, rows, daily_limit=20, urgent_share=10))
    assert res.status_code == 302
    (schedule,) = schedules_of(doctor)
    assert (schedule.valid_from, schedule.daily_limit, schedule.urgent_share) == (monday, 20, 0.1)
    first, second = schedule.rules
    assert (first.weekday, first.start, first.end, first.type_codes, first.room_id) == (
        0, time(9), time(12), frozenset({"follow_up"}), room.id)
    assert (second.kind, second.slot_minutes, second.tokens_per_slot) == ("tokens", 60, 8)
    (event,) = events("schedule.put")
    assert event.actor_id == doctor.user_id and event.hospital_id == hospital.id
    page = client.get(res.headers["Location"]).data.decode()
    assert "is saved" in page and "12 free" in page and "16 free" in page  # two hours of 8 tokens
    assert 'value="09:00"' in page and 'value="14:00"' in page  # the editor shows the saved hours


def test_new_configuration_closes_the_previous_one(client, as_doctor, make):
    hospital, doctor = as_doctor
    make.schedule(doctor, hospital, valid_from=date(2024, 1, 1))
    monday = next_monday()
    assert client.post("/doctor/availability", data=form_data(monday, [MONDAY_MORNING])).status_code == 302
    old, new = schedules_of(doctor)
    assert old.valid_till == monday and new.valid_from == monday and new.valid_till is None


@pytest.mark.parametrize("rows, policy, field_id, message", [
    ([{"weekday": 0, "start": "12:00", "end": "09:00"}], {}, "rules-0-end", "Must be after the start."),
    ([{"weekday": 0, "start": "09:00", "end": "12:00", "slot_minutes": 7}], {}, "rules-0-slot_minutes",
     "multiple of 5"),
    ([{"weekday": 0, "start": "09:03", "end": "12:00"}], {}, "rules-0-start", "5-minute boundary"),
    ([MONDAY_MORNING, {"weekday": 0, "start": "11:00", "end": "13:00"}], {}, None, "Overlaps another Monday rule"),
    ([MONDAY_MORNING], {"urgent_share": 60}, "urgent_share", "Must be between 0 and 50 %."),
    ([MONDAY_MORNING], {"horizon_days": 0}, "horizon_days", "Must be between 1 and 365 days."),
    ([{"weekday": 0, "start": "09:00"}], {}, "rules-0-end", "Required."),
])
def test_invalid_hours_are_shown_beside_their_field(client, as_doctor, rows, policy, field_id, message):
    _, doctor = as_doctor
    res = client.post("/doctor/availability", data=form_data(next_monday(), rows, **policy))
    assert res.status_code == 422
    html = res.data.decode()
    assert message in html and "Nothing was saved" in html
    if field_id:
        # the message sits right after the invalid input
        at = html.index(f'id="{field_id}"')
        assert "is-invalid" in html[html.rfind("<", 0, at):at + 200] and message in html[at:at + 600]
    assert f'value="{rows[0]["start"]}"' in html  # what was typed is kept
    assert schedules_of(doctor) == [] and events("schedule.put") == []


def test_overlap_is_shown_on_the_second_row(client, as_doctor):
    rows = [MONDAY_MORNING, {"weekday": 0, "start": "11:00", "end": "13:00"}]
    html = client.post("/doctor/availability", data=form_data(next_monday(), rows)).data.decode()
    second_row = html.index('data-row="1"')
    assert html.index("Row 2:") > second_row and html.index("Overlaps another Monday rule") > second_row


def test_valid_till_before_valid_from(client, as_doctor):
    monday = next_monday()
    res = client.post("/doctor/availability", data=form_data(monday, [MONDAY_MORNING],
                                                             valid_till=(monday - timedelta(days=1)).isoformat()))
    assert res.status_code == 422 and b"Must be after the first valid day." in res.data


def test_valid_from_in_the_past_is_refused(client, as_doctor):
    res = client.post("/doctor/availability", data=form_data(local_today("Europe/London") - timedelta(days=1),
                                                             [MONDAY_MORNING]))
    assert res.status_code == 422 and b"Must not be in the past." in res.data


def test_add_row_keeps_what_was_typed(client, as_doctor):
    _, doctor = as_doctor
    data = form_data(next_monday(), [MONDAY_MORNING])
    data.pop("submit")
    data["add_row"] = "1"
    res = client.post("/doctor/availability", data=data)
    assert res.status_code == 200
    html = res.data.decode()
    assert 'id="rules-3-weekday"' in html and 'id="rules-4-weekday"' not in html  # three rows sent, one added
    assert 'value="09:00"' in html and schedules_of(doctor) == []


def test_load_a_planned_configuration_into_the_editor(client, as_doctor, make):
    hospital, doctor = as_doctor
    later = next_monday() + timedelta(days=14)
    row = make.schedule(doctor, hospital, valid_from=later, weekdays=[3], start="13:00", end="15:00")
    html = client.get(f"/doctor/availability?schedule={row.id}").data.decode()
    assert 'value="13:00"' in html and f'value="{later.isoformat()}"' in html
    other = make.doctor(hospital, name="Dr Other")
    foreign = make.schedule(other, hospital)
    assert client.get(f"/doctor/availability?schedule={foreign.id}").status_code == 404


def test_pages_open_at_the_hospital_with_hours(client, as_doctor, make):
    hospital, doctor = as_doctor
    first = make.hospital(name="Aardvark Clinic")  # sorts first, but has no hours
    doctor.hospitals.append(first)
    db.session.add(Membership(user_id=doctor.user_id, hospital_id=first.id, role=Role.DOCTOR))
    db.session.commit()
    make.schedule(doctor, hospital, weekdays=[0])
    assert "Cardiology · Thames Riverside Hospital" in client.get("/doctor/availability").data.decode()
    assert "· Thames Riverside Hospital ·" in client.get("/doctor/week").data.decode()
    assert "Cardiology · Aardvark Clinic" in client.get(f"/doctor/availability?hospital={first.id}").data.decode()


def test_doctor_edits_only_hospitals_with_a_membership(client, as_doctor, make):
    hospital, doctor = as_doctor
    elsewhere = make.hospital(name="Linked Only")
    doctor.hospitals.append(elsewhere)  # works there, but holds no membership
    db.session.commit()
    assert client.get(f"/doctor/availability?hospital={elsewhere.id}").status_code == 404
    res = client.post(f"/doctor/availability?hospital={elsewhere.id}", data=form_data(next_monday(),
                                                                                     [MONDAY_MORNING]))
    assert res.status_code == 404 and schedules_of(doctor) == []
    assert "Linked Only" not in client.get("/doctor/availability").data.decode()


def test_leave_and_extra_clinic_in_local_time(client, auth, make):
    berlin = make.hospital(name="Charité Mitte", timezone="Europe/Berlin", country="DE")
    doctor = make.doctor(berlin, make.specialty())
    make.schedule(doctor, berlin)
    auth.login(doctor.user.email)
    monday = next_monday("Europe/Berlin")
    res = client.post("/doctor/availability/exceptions", data={
        "leave-start_date": monday.isoformat(), "leave-start_time": "09:00", "leave-end_date": monday.isoformat(),
        "leave-end_time": "11:00", "leave-available": "no", "leave-reason": "Conference"})
    assert res.status_code == 302
    row = db.session.scalar(select(AvailabilityException))
    tz = ZoneInfo("Europe/Berlin")
    assert (row.start, row.end) == (core.to_utc(monday, time(9), tz), core.to_utc(monday, time(11), tz))
    assert row.available is False and row.reason == "Conference" and row.hospital_id == berlin.id
    (event,) = events("schedule.exception")
    assert event.actor_id == doctor.user_id
    html = client.get("/doctor/availability").data.decode()
    assert "Conference" in html and "8 blocked" in html and "Europe/Berlin" in html

    res = client.post(f"/doctor/availability/exceptions/{row.id}/delete")
    assert res.status_code == 302 and db.session.scalar(select(func.count(AvailabilityException.id))) == 0
    assert len(events("schedule.exception_removed")) == 1


@pytest.mark.parametrize("end_time, message", [("08:00", "Must be after the start."), ("", "This field is required.")])
def test_invalid_leave_is_422(client, as_doctor, end_time, message):
    day = next_monday().isoformat()
    res = client.post("/doctor/availability/exceptions", data={
        "leave-start_date": day, "leave-start_time": "09:00", "leave-end_date": day, "leave-end_time": end_time,
        "leave-available": "yes", "leave-reason": "Saturday clinic"})
    assert res.status_code == 422 and message in res.data.decode()
    assert 'value="Saturday clinic"' in res.data.decode()
    assert db.session.scalar(select(func.count(AvailabilityException.id))) == 0


def test_another_doctors_exception_cannot_be_removed(client, as_doctor, make):
    hospital, _ = as_doctor
    other = make.doctor(hospital, name="Dr Other")
    start = datetime.combine(next_monday(), time(9))
    row = add_exception(None, resource_for_doctor(other.id).id, hospital.id, start, start + timedelta(hours=1),
                        False, "")
    db.session.commit()
    assert client.post(f"/doctor/availability/exceptions/{row.id}/delete").status_code == 404


def test_patient_role_is_refused(client, auth, make, clinic):
    _, doctor = clinic
    auth.login(make.user(Role.PATIENT).email)
    assert client.get("/doctor/availability").status_code == 403
    assert client.get("/doctor/week").status_code == 403
    assert client.get(f"/staff/doctors/{doctor.id}/availability").status_code == 403
    assert client.get(f"/admin/doctors/{doctor.id}/availability").status_code == 403


# --- staff and admins acting for the doctor ---

def test_staff_edit_a_doctors_hours(client, auth, make, clinic):
    hospital, doctor = clinic
    staff = make.user(Role.STAFF, hospital)
    auth.login(staff.email)
    listing = client.get("/staff/doctors").data.decode()
    assert "Dr Ada Lovelace" in listing and f"/staff/doctors/{doctor.id}/availability" in listing
    page = client.get(f"/staff/doctors/{doctor.id}/availability")
    assert page.status_code == 200 and "Availability of Dr Ada Lovelace" in page.data.decode()
    res = client.post(f"/staff/doctors/{doctor.id}/availability", data=form_data(next_monday(), [MONDAY_MORNING]))
    assert res.status_code == 302 and res.headers["Location"].startswith(f"/staff/doctors/{doctor.id}/availability")
    (event,) = events("schedule.put")
    assert event.actor_id == staff.id and len(schedules_of(doctor)) == 1
    bad = client.post(f"/staff/doctors/{doctor.id}/availability",
                      data=form_data(next_monday(), [{"weekday": 0, "start": "12:00", "end": "09:00"}]))
    assert bad.status_code == 422 and b"Must be after the start." in bad.data
    day = next_monday().isoformat()
    res = client.post(f"/staff/doctors/{doctor.id}/availability/exceptions", data={
        "leave-start_date": day, "leave-start_time": "00:00", "leave-end_date": day, "leave-end_time": "23:55",
        "leave-available": "no", "leave-reason": "Sick"})
    assert res.status_code == 302 and events("schedule.exception")[0].actor_id == staff.id
    row = db.session.scalar(select(AvailabilityException))
    assert "Sick" in client.get(f"/staff/doctors/{doctor.id}/availability").data.decode()
    res = client.post(f"/staff/doctors/{doctor.id}/availability/exceptions/{row.id}/delete")
    assert res.status_code == 302 and events("schedule.exception_removed")[0].actor_id == staff.id


def test_staff_get_404_for_a_doctor_of_another_hospital(client, auth, make, clinic):
    hospital, doctor = clinic
    other_hospital = make.hospital(name="Elsewhere")
    auth.login(make.user(Role.STAFF, other_hospital).email)
    assert client.get(f"/staff/doctors/{doctor.id}/availability").status_code == 404
    assert client.post(f"/staff/doctors/{doctor.id}/availability",
                       data=form_data(next_monday(), [MONDAY_MORNING])).status_code == 404
    assert client.get("/staff/doctors/999999/availability").status_code == 404
    assert "Dr Ada Lovelace" not in client.get("/staff/doctors").data.decode()
    assert schedules_of(doctor) == []


def test_admins_edit_through_the_same_editor(client, auth, make, clinic):
    hospital, doctor = clinic
    region_admin = make.user(Role.ADMIN, email="region@example.org")
    auth.login(region_admin.email)
    assert f"/admin/doctors/{doctor.id}/availability" in client.get("/admin/doctors").data.decode()
    res = client.post(f"/admin/doctors/{doctor.id}/availability", data=form_data(next_monday(), [MONDAY_MORNING]))
    assert res.status_code == 302 and events("schedule.put")[0].actor_id == region_admin.id
    auth.logout()
    auth.login(make.user(Role.ADMIN, make.hospital(name="Not theirs"), email="hadmin@example.org").email)
    assert client.get(f"/admin/doctors/{doctor.id}/availability").status_code == 404


# --- the week calendar and the read models behind both calendars ---

def test_week_calendar(client, as_doctor, make):
    hospital, doctor = as_doctor
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="10:00")
    monday = next_monday()
    tz = ZoneInfo(hospital.timezone)
    patient = make.patient(name="Grace Hopper")
    booking.book(None, patient, doctor, core.to_utc(monday, time(9, 15), tz), reason="check-up")
    db.session.commit()
    html = client.get(f"/doctor/week?start={(monday + timedelta(days=3)).isoformat()}").data.decode()
    assert "Grace Hopper" in html and "09:15–09:30" in html and "booked" in html
    assert "09:00–09:15" in html and "09:30–10:00" in html and "2 free" in html
    assert f"start={(monday - timedelta(days=7)).isoformat()}" in html
    assert f"start={(monday + timedelta(days=7)).isoformat()}" in html
    assert "Europe/London" in html
    assert client.get("/doctor/week").status_code == 200
    assert client.get("/doctor/week?start=not-a-date").status_code == 404
    assert client.get("/doctor/week?hospital=999999").status_code == 404


def test_preview_counts_free_booked_and_blocked(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    make.schedule(doctor, hospital, weekdays=[0], start="09:00", end="12:00")
    monday = next_monday()
    tz = ZoneInfo(hospital.timezone)
    resource_id = resource_for_doctor(doctor.id).id
    booking.book(None, make.patient(), doctor, core.to_utc(monday, time(9), tz))
    booking.book(None, make.patient(), doctor, core.to_utc(monday, time(11, 15), tz))  # before the leave came
    add_exception(None, resource_id, hospital.id, core.to_utc(monday, time(11), tz),
                  core.to_utc(monday, time(12), tz), False, "Teaching")
    wednesday = monday + timedelta(days=2)
    add_exception(None, resource_id, hospital.id, core.to_utc(wednesday, time(14), tz),
                  core.to_utc(wednesday, time(15), tz), True, "Extra clinic")
    db.session.commit()
    weeks = availability_preview(resource_id, hospital.id, hospital.timezone, monday, weeks=1)
    (week,) = weeks
    assert [d.day for d in week] == [monday + timedelta(days=i) for i in range(7)]
    (session,) = week[0].sessions
    assert (session.start.time(), session.end.time(), session.free, session.booked, session.blocked) == (
        time(9), time(12), 7, 2, 3)
    assert week[0].leave[0].reason == "Teaching" and not week[0].leave[0].whole_day
    (extra,) = week[2].sessions
    assert extra.extra and extra.free == 4
    assert all(not d.sessions for d in week[3:])

    view = doctor_week(doctor.id, resource_id, hospital.id, hospital.timezone, monday + timedelta(days=4))
    assert view.monday == monday and view.hours == [9, 10, 11, 12, 13, 14]
    nine = view.cell(monday, 9)
    assert [e.kind for e in nine] == ["appointment", "free"] and nine[1].count == 3
    blocked, kept = view.cell(monday, 11)  # the leave, and the appointment booked before it
    assert (blocked.kind, blocked.start.time(), blocked.end.time()) == ("blocked", time(11), time(12))
    assert (kept.kind, kept.start.time()) == ("appointment", time(11, 15))


def test_preview_of_a_doctor_without_hours(make):
    hospital = make.hospital()
    doctor = make.doctor(hospital, make.specialty())
    weeks = availability_preview(resource_for_doctor(doctor.id).id, hospital.id, hospital.timezone, next_monday())
    assert len(weeks) == 4 and all(not day.sessions for week in weeks for day in week)
    assert db.session.scalar(select(func.count(Doctor.id))) == 1
