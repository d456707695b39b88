"""One room, one consultation (docs/architecture.md, "Integrity"): every booking in a session with a room claims
the room, and the availability editor (its page, the service, the API) refuses weekly hours that would put two
doctors in one room at the same time, naming who holds it and when. Runs on SQLite and MariaDB."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import AvailabilityRule, Claim, Role, Room, Schedule
from app.services import booking, locations
from app.services.availability import index, resource_for_doctor, resource_for_room
from app.services.availability.calendars import forget_cached_rules
from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule
from app.services.availability.views import local_today, nearest_free_slots

LONDON = "Europe/London"


def next_monday() -> date:
    today = local_today(LONDON)
    return today + timedelta(days=7 - today.weekday())


def at(day: date, hh: int, mm: int = 0):
    from zoneinfo import ZoneInfo

    return core.to_utc(day, time(hh, mm), ZoneInfo(LONDON))


@pytest.fixture
def ward(make):
    hospital = make.hospital(name="Thames Riverside Hospital")
    room = Room(hospital_id=hospital.id, name="Consultation 1", kind="consultation")
    other_room = Room(hospital_id=hospital.id, name="Consultation 2", kind="consultation")
    db.session.add_all([room, other_room])
    db.session.commit()
    cardio = make.specialty()
    ada = make.doctor(hospital, cardio, name="Dr Ada Heart")
    bea = make.doctor(hospital, cardio, name="Dr Bea Beat")
    make.schedule(ada, hospital, weekdays=[0], start="09:00", end="12:00", room_id=room.id)
    return hospital, room, other_room, ada, bea


def monday_rule(room_id, start="11:00", end="13:00") -> RuleInput:
    return RuleInput(weekday=0, start=time.fromisoformat(start), end=time.fromisoformat(end), room_id=room_id)


def put(doctor, hospital, rules, valid_from=date(2020, 1, 1), valid_till=None):
    return put_schedule(None, resource_for_doctor(doctor.id).id, hospital.id,
                        ScheduleInput(valid_from=valid_from, valid_till=valid_till, rules=rules,
                                      min_notice_minutes=0))


# --- the editor's rule ------------------------------------------------------------------------------------------

def test_a_second_doctor_in_the_same_room_at_the_same_time_is_refused_with_the_clash(ward):
    hospital, room, _other, _ada, bea = ward
    with pytest.raises(core.ScheduleInvalid) as caught:
        put(bea, hospital, [RuleInput(weekday=1, start=time(9), end=time(10)), monday_rule(room.id)])
    db.session.rollback()
    assert caught.value.fields == {
        "rules.1.room_id": "Consultation 1 is already used by Dr Ada Heart on Monday, 09:00-12:00."}
    assert db.session.scalar(select(func.count(Schedule.id)).where(
        Schedule.resource_id == resource_for_doctor(bea.id).id)) == 0  # nothing saved


def test_another_room_another_hour_or_an_ended_configuration_is_fine(ward):
    hospital, room, other_room, ada, bea = ward
    put(bea, hospital, [monday_rule(other_room.id, "11:00", "12:00"), monday_rule(room.id, "12:00", "13:00")])
    db.session.commit()
    # the first doctor moves to another room from next Monday: from then the room is free in the mornings
    monday = next_monday()
    put(ada, hospital, [monday_rule(other_room.id, "08:00", "09:00")], valid_from=monday)
    db.session.commit()
    put(bea, hospital, [monday_rule(room.id, "09:00", "12:00")], valid_from=monday + timedelta(days=7))
    db.session.commit()
    with pytest.raises(core.ScheduleInvalid):  # before the move the room is still the first doctor's
        put(bea, hospital, [monday_rule(room.id, "09:00", "12:00")], valid_from=date(2020, 1, 1),
            valid_till=monday)
    db.session.rollback()


def test_a_doctor_may_keep_their_own_room_when_changing_their_hours(ward):
    hospital, room, _other, ada, _bea = ward
    put(ada, hospital, [monday_rule(room.id, "08:00", "12:00")], valid_from=next_monday())
    db.session.commit()
    newest = db.session.scalar(select(Schedule).where(Schedule.resource_id == resource_for_doctor(ada.id).id)
                               .order_by(Schedule.valid_from.desc()).limit(1))
    assert newest.valid_from == next_monday()  # her own room does not clash with her own earlier hours
    assert [(r.room_id, r.start) for r in db.session.scalars(
        select(AvailabilityRule).where(AvailabilityRule.schedule_id == newest.id))] == [(room.id, time(8))]


def test_the_editor_page_refuses_the_clash_and_shows_it(client, auth, ward):
    hospital, room, _other, _ada, bea = ward
    auth.login(bea.user.email)
    monday = next_monday()
    data = {"valid_from": monday.isoformat(), "valid_till": "", "horizon_days": "60", "daily_limit": "",
            "min_notice_minutes": "0", "buffer_minutes": "0", "urgent_share": "0", "urgent_release_hours": "24",
            "submit": "save", "rules-0-weekday": "0", "rules-0-start": "10:00", "rules-0-end": "11:00",
            "rules-0-kind": "slots", "rules-0-slot_minutes": "15", "rules-0-tokens_per_slot": "1",
            "rules-0-room_id": str(room.id)}
    res = client.post("/doctor/availability", data=data)
    page = res.get_data(as_text=True).replace("&#39;", "'")
    assert res.status_code == 422
    assert "Consultation 1 is already used by Dr Ada Heart on Monday, 09:00-12:00." in page
    assert db.session.scalar(select(func.count(Schedule.id)).where(
        Schedule.resource_id == resource_for_doctor(bea.id).id)) == 0


def test_the_editor_page_says_the_clash_in_german(client, auth, ward):
    hospital, room, _other, _ada, bea = ward
    bea.user.language = "de"
    db.session.commit()
    auth.login(bea.user.email)
    data = {"valid_from": next_monday().isoformat(), "valid_till": "", "horizon_days": "60", "daily_limit": "",
            "min_notice_minutes": "0", "buffer_minutes": "0", "urgent_share": "0", "urgent_release_hours": "24",
            "submit": "save", "rules-0-weekday": "0", "rules-0-start": "10:00", "rules-0-end": "11:00",
            "rules-0-kind": "slots", "rules-0-slot_minutes": "15", "rules-0-tokens_per_slot": "1",
            "rules-0-room_id": str(room.id)}
    page = client.post("/doctor/availability", data=data).get_data(as_text=True)
    assert "Consultation 1 ist schon von Dr Ada Heart belegt: Montag, 09:00–12:00." in page


def test_the_api_refuses_the_clash_with_422_and_the_field(client, runner, ward):
    hospital, room, _other, _ada, bea = ward
    token = runner.invoke(args=["users", "token", "--email", bea.user.email]).output.strip().splitlines()[-1]
    res = client.put(f"/api/v1/doctors/{bea.id}/schedule", headers={"Authorization": f"Bearer {token}"},
                     json={"rules": [{"weekday": 0, "start": "10:00", "end": "11:00", "room_id": room.id}],
                           "valid_from": str(next_monday())})
    assert res.status_code == 422
    body = res.get_json()
    assert body["error"] == "schedule_invalid"
    assert body["fields"] == {
        "rules.0.room_id": "Consultation 1 is already used by Dr Ada Heart on Monday, 09:00-12:00."}


# --- bookings claim the room --------------------------------------------------------------------------------------

def room_claims(room) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Claim).where(
        Claim.resource_id == resource_for_room(room.id).id))


def test_every_booking_in_a_session_with_a_room_claims_the_room(ward, make):
    hospital, room, _other, ada, _bea = ward
    appointment = booking.book(None, make.patient(), ada, at(next_monday(), 9, 15))  # no type, no equipment
    db.session.commit()
    assert appointment.holds_room and appointment.room_id == room.id
    assert room_claims(room) == 3  # 15 minutes: three 5-minute cells
    booking.cancel(None, appointment, "changed plans")
    db.session.commit()
    assert room_claims(room) == 0


def test_two_doctors_put_in_one_room_past_the_editor_cannot_both_book_it(ward, make):
    """Hours saved before the rule existed: the database still lets only one consultation into the room."""
    hospital, room, _other, ada, bea = ward
    schedule = make.schedule(bea, hospital, weekdays=[0], start="09:00", end="12:00")
    db.session.execute(AvailabilityRule.__table__.update().where(AvailabilityRule.schedule_id == schedule.id)
                       .values(room_id=room.id))
    db.session.commit()
    forget_cached_rules()  # rules written past the services, as an operator's SQL would: forget and re-index
    index.rebuild(bea.id)
    db.session.commit()
    monday = next_monday()
    booking.book(None, make.patient(), ada, at(monday, 9, 30))
    db.session.commit()
    with pytest.raises(core.SlotTaken):
        booking.book(None, make.patient(), bea, at(monday, 9, 30))
    db.session.rollback()
    starts = {r.start for r in nearest_free_slots(bea.id, hospital.id, LONDON, at(monday, 9), None, count=20)}
    assert at(monday, 9, 30) not in starts and at(monday, 9, 45) in starts  # search agrees with the claims


def test_a_room_booking_blocks_the_doctor_session_in_that_room(ward, make):
    """The room's own bookings (theatre lists, vaccinations) and the doctor's session share one set of claims."""
    hospital, room, _other, ada, _bea = ward
    room.bookable = True
    db.session.commit()
    put_schedule(None, resource_for_room(room.id).id, hospital.id, ScheduleInput(
        valid_from=date(2020, 1, 1), valid_till=None, min_notice_minutes=0,
        rules=[RuleInput(weekday=0, start=time(8), end=time(18), slot_minutes=30)]))
    db.session.commit()
    monday = next_monday()
    locations.book_location(make.user(Role.STAFF, hospital), room, at(monday, 10), 60, reason="cleaning")
    db.session.commit()
    with pytest.raises(core.SlotTaken):
        booking.book(None, make.patient(), ada, at(monday, 10, 15))
    db.session.rollback()
    starts = {r.start for r in nearest_free_slots(ada.id, hospital.id, LONDON, at(monday, 10), None, count=20)}
    assert at(monday, 10, 15) not in starts and at(monday, 11) in starts


def test_moving_to_a_session_in_another_room_moves_the_room_claims(ward, make):
    hospital, room, other_room, ada, _bea = ward
    monday = next_monday()
    put(ada, hospital, [monday_rule(room.id, "09:00", "10:00"), monday_rule(other_room.id, "10:00", "11:00")])
    db.session.commit()
    appointment = booking.book(None, make.patient(), ada, at(monday, 9, 45))
    db.session.commit()
    booking.reschedule(None, appointment, at(monday, 10))
    db.session.commit()
    assert (room_claims(room), room_claims(other_room)) == (0, 3)
    doctor_cells = db.session.scalar(select(func.count()).select_from(Claim).where(
        Claim.resource_id == resource_for_doctor(ada.id).id))
    assert doctor_cells == 3
