"""Operating theatres and other bookable rooms: access, elective bookings, emergencies that displace."""
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import AuditEvent, Claim, Role, Room
from app.notifications import events
from app.services import booking, locations
from app.services.availability import resource_for_room
from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule

NOW = datetime(2026, 3, 2, 7, 0)


@pytest.fixture
def theatre(make):
    hospital = make.hospital()
    room = Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", bookable=True)
    db.session.add(room)
    db.session.flush()
    rules = [RuleInput(weekday=d, start=time(8), end=time(18), slot_minutes=30) for d in range(5)]
    put_schedule(None, resource_for_room(room.id).id, hospital.id,
                 ScheduleInput(valid_from=date(2026, 1, 1), valid_till=None, rules=rules, min_notice_minutes=0))
    db.session.commit()
    return hospital, room


def test_access_roles(theatre, make):
    hospital, room = theatre
    admin = make.user(Role.ADMIN, hospital)
    surgeon = make.doctor(hospital, make.specialty("Surgery", "SUR"))
    clerk = make.user(Role.STAFF, hospital)
    assert locations.access_role(admin, room) == "manager"
    assert locations.access_role(surgeon.user, room) is None
    locations.grant(admin.id, room, surgeon.user, "booker")
    locations.grant(admin.id, room, clerk, "manager")
    assert locations.access_role(surgeon.user, room) == "booker"
    assert locations.access_role(clerk, room) == "manager"


def test_elective_booking_holds_room_and_surgeon(theatre, make):
    hospital, room = theatre
    surgeon = make.doctor(hospital, make.specialty("Surgery", "SUR"))
    make.schedule(surgeon, hospital)  # the surgeon's clinic 09:00-12:00 every day
    result = locations.book_location(surgeon.user, room, datetime(2026, 3, 3, 13), 120, doctor=surgeon, now=NOW)
    db.session.commit()
    assert result.appointment.end == datetime(2026, 3, 3, 15) and result.displaced == []
    assert db.session.query(Claim).filter_by(appointment_id=result.appointment.id).count() == 48  # 24 cells x 2
    with pytest.raises(core.SlotTaken):
        locations.book_location(surgeon.user, room, datetime(2026, 3, 3, 14), 60, now=NOW)
    db.session.rollback()
    with pytest.raises(core.OutsideHours):
        locations.book_location(surgeon.user, room, datetime(2026, 3, 3, 13, 10), 60, now=NOW)
    db.session.rollback()
    with pytest.raises(core.OutsideHours):  # runs past the end of the session
        locations.book_location(surgeon.user, room, datetime(2026, 3, 3, 17), 120, now=NOW)


def test_emergency_displaces_elective_bookings(theatre, make):
    hospital, room = theatre
    manager = make.user(Role.ADMIN, hospital)
    patient = make.patient()
    elective = locations.book_location(manager, room, datetime(2026, 3, 3, 10), 60, patient=patient,
                                       now=NOW).appointment
    later = locations.book_location(manager, room, datetime(2026, 3, 3, 12), 60, now=NOW).appointment
    db.session.commit()
    # an emergency at 10:35, off the slot grid and running 50 minutes
    result = locations.book_location(manager, room, datetime(2026, 3, 3, 10, 35), 50, emergency=True,
                                     reason="ruptured appendix", now=NOW)
    db.session.commit()
    assert [a.id for a in result.displaced] == [elective.id]
    assert elective.status == "cancelled" and elective.cancel_reason == locations.DISPLACED_REASON
    assert later.status == "scheduled"
    assert [u.id for u in events.displaced_recipients(elective)] == [manager.id, patient.user_id]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "location.emergency")).comment
    # a second emergency at the same time cannot displace the first
    with pytest.raises(core.SlotTaken):
        locations.book_location(manager, room, datetime(2026, 3, 3, 11), 30, emergency=True, now=NOW)


def test_location_booking_cancel_frees_cells(theatre, make):
    hospital, room = theatre
    manager = make.user(Role.ADMIN, hospital)
    appt = locations.book_location(manager, room, datetime(2026, 3, 3, 8), 30, now=NOW).appointment
    db.session.commit()
    booking.cancel(manager.id, appt, "list changed")
    db.session.commit()
    assert db.session.query(Claim).count() == 0
    assert locations.book_location(manager, room, datetime(2026, 3, 3, 8), 30, now=NOW)
    with pytest.raises(core.InvalidTransition):
        booking.reschedule(manager.id, appt, datetime(2026, 3, 3, 9), now=NOW)
