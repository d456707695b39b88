"""Procedure teams on the real database: search, booking every member's cells, day lists, cancel, leave."""
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Claim, Participant, Role
from app.scheduling import teams as team_core
from app.services import booking, teams
from app.services.availability import resource_for_doctor, resource_for_room
from app.services.availability.schedules import add_exception
from tests.integration.team_world import team_world

NOW = datetime(2026, 3, 2, 7, 0)  # Monday; London is on UTC in March before the clocks change
DAY = date(2026, 3, 3)


def _claimed(appointment_id: int) -> dict[int, int]:
    rows = db.session.execute(select(Claim.resource_id, func.count()).where(Claim.appointment_id == appointment_id)
                              .group_by(Claim.resource_id)).all()
    return dict(rows)


def test_search_finds_times_when_every_role_is_free(make):
    world = team_world(make, anaesthetist_start="10:00")
    found = teams.search_team(world.template, DAY, DAY, now=NOW)
    assert [s.start for s in found.slots] == [datetime(2026, 3, 3, 10), datetime(2026, 3, 3, 10, 15),
                                              datetime(2026, 3, 3, 10, 30), datetime(2026, 3, 3, 10, 45),
                                              datetime(2026, 3, 3, 11)]
    members = dict(found.slots[0].members)
    assert members["anaesthetist"] == resource_for_doctor(world.anaesthetist.id).id
    assert members["theatre"] == resource_for_room(world.theatre.id).id
    assert members["surgeon"] == resource_for_doctor(world.surgeons[0].id).id  # equally booked: the lower id


def test_booking_claims_every_member_and_shows_on_each_day_list(make):
    world = team_world(make)
    staff = make.user(Role.STAFF, world.hospital)
    patient = make.patient()
    appointment = teams.book_team(staff, world.template, patient, datetime(2026, 3, 3, 9), now=NOW)
    db.session.commit()
    assert appointment.kind == core.Kind.TEAM and appointment.end == datetime(2026, 3, 3, 10)
    assert appointment.doctor_id == world.surgeons[0].id and appointment.room_id == world.theatre.id
    claims = _claimed(appointment.id)
    assert len(claims) == 3 and set(claims.values()) == {12}  # three members, twelve 5-minute cells each
    for doctor in (world.surgeons[0], world.anaesthetist):
        assert [a.id for a in teams.day_list(doctor.id, world.hospital.id, DAY)] == [appointment.id]
    assert teams.day_list(world.surgeons[1].id, world.hospital.id, DAY) == []
    roles = [(role, name) for role, name, _ in teams.participants([appointment.id])[appointment.id]]
    assert roles == [("surgeon", "Surgeon 1"), ("anaesthetist", "Anaesthetist"), ("theatre", "Theatre A")]
    # the next search picks the other surgeon for 9:00 and no team at 9:00 without the busy anaesthetist
    found = teams.search_team(world.template, DAY, DAY, now=NOW)
    assert datetime(2026, 3, 3, 9) not in [s.start for s in found.slots]
    assert found.slots[0].start == datetime(2026, 3, 3, 10)
    assert dict(found.slots[0].members)["surgeon"] == resource_for_doctor(world.surgeons[1].id).id  # less booked


def test_a_member_booked_alone_blocks_the_team_and_the_team_blocks_them(make):
    world = team_world(make)
    staff = make.user(Role.STAFF, world.hospital)
    booking.book(None, make.patient(), world.anaesthetist, datetime(2026, 3, 3, 9), now=NOW)
    db.session.commit()
    with pytest.raises(team_core.TeamNotFree):
        teams.book_team(staff, world.template, make.patient(), datetime(2026, 3, 3, 9), now=NOW)
    db.session.rollback()
    teams.book_team(staff, world.template, make.patient(), datetime(2026, 3, 3, 10), now=NOW)
    db.session.commit()
    with pytest.raises(core.SlotTaken):  # the anaesthetist's own calendar: the team's claims decide
        booking.book(None, make.patient(), world.anaesthetist, datetime(2026, 3, 3, 10, 15), now=NOW)
    db.session.rollback()


def test_cancel_releases_every_member(make):
    world = team_world(make)
    staff = make.user(Role.STAFF, world.hospital)
    appointment = teams.book_team(staff, world.template, make.patient(), datetime(2026, 3, 3, 9), now=NOW)
    db.session.commit()
    booking.cancel(staff.id, appointment, "Theatre closed", now=NOW)
    db.session.commit()
    assert _claimed(appointment.id) == {}
    assert datetime(2026, 3, 3, 9) in [s.start for s in teams.search_team(world.template, DAY, DAY, now=NOW).slots]
    assert teams.day_list(world.anaesthetist.id, world.hospital.id, DAY) == []


def test_members_who_never_share_free_time_book_nothing(make):
    world = team_world(make, anaesthetist_start="13:00", anaesthetist_end="17:00")  # surgeons work 9-12
    staff = make.user(Role.STAFF, world.hospital)
    found = teams.search_team(world.template, DAY, DAY, now=NOW)
    assert found.slots == [] and found.never_free == []
    with pytest.raises(team_core.TeamNotFree):
        teams.book_team(staff, world.template, make.patient(), datetime(2026, 3, 3, 9), now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Appointment.id))) == 0
    assert db.session.scalar(select(func.count(Claim.id))) == 0
    assert db.session.scalar(select(func.count(Participant.id))) == 0


def test_leave_of_one_member_flags_the_appointment(make):
    world = team_world(make)
    staff = make.user(Role.STAFF, world.hospital)
    appointment = teams.book_team(staff, world.template, make.patient(), datetime(2026, 3, 3, 9), now=NOW)
    other = teams.book_team(staff, world.template, make.patient(), datetime(2026, 3, 4, 9), now=NOW)
    db.session.commit()
    assert teams.needs_rebooking({world.hospital.id}, NOW) == []
    add_exception(None, resource_for_doctor(world.anaesthetist.id).id, world.hospital.id,
                  datetime(2026, 3, 3, 0), datetime(2026, 3, 4, 0), False, "Ill", now=NOW)
    db.session.commit()
    assert [a.id for a in teams.needs_rebooking({world.hospital.id}, NOW)] == [appointment.id]
    assert other.id not in [a.id for a in teams.needs_rebooking(None, NOW)]
    absent = [(role, gone) for role, _, gone in teams.participants([appointment.id])[appointment.id]]
    assert absent == [("surgeon", False), ("anaesthetist", True), ("theatre", False)]
    assert teams.needs_rebooking({world.hospital.id + 1}, NOW) == []  # another hospital's staff see nothing


def test_template_errors_name_the_field(make):
    world = team_world(make)
    with pytest.raises(core.ScheduleInvalid) as err:
        teams.put_template(None, world.kind, [{"name": "", "kind": "doctor", "doctor_ids": [999999]},
                                              {"name": "x", "kind": "nurse"}])
    assert set(err.value.fields) == {"roles.0.name", "roles.0.doctor_ids", "roles.1.kind"}
    db.session.rollback()


def test_may_use_teams_only_desk_and_admins_of_the_hospital(make):
    world = team_world(make)
    other = make.hospital()
    assert teams.may_use_teams(make.user(Role.STAFF, world.hospital), world.hospital.id)
    assert teams.may_use_teams(make.user(Role.ADMIN, world.hospital), world.hospital.id)
    assert not teams.may_use_teams(make.user(Role.STAFF, other), world.hospital.id)
    assert not teams.may_use_teams(world.surgeons[0].user, world.hospital.id)
    assert not teams.may_use_teams(make.user(Role.NURSE, world.hospital), world.hospital.id)
    assert not teams.may_use_teams(make.user(), world.hospital.id)


def test_the_patient_is_told_of_the_team_booking(make):
    from app.models import OutboxMessage

    world = team_world(make)
    staff = make.user(Role.STAFF, world.hospital)
    appointment = teams.book_team(staff, world.template, make.patient(), datetime(2026, 3, 3, 9), now=NOW)
    db.session.commit()
    keys = db.session.scalars(select(OutboxMessage.dedupe_key)).all()
    assert any(k.startswith(f"appt:{appointment.id}:booked:") for k in keys), keys
