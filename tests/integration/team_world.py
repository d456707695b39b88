"""A hospital with a procedure team: two surgeons, one anaesthetist, a theatre with a laser, and a 60-minute
"laser" procedure whose template needs all three roles (docs/teams.md). Shared by the team tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from app.extensions import db
from app.models import AppointmentType, Equipment, Hospital, Room, TeamTemplate
from app.services import teams
from app.services.availability import resource_for_room
from app.services.availability.schedules import RuleInput, ScheduleInput, put_schedule


@dataclass
class TeamWorld:
    hospital: Hospital
    surgeons: list
    anaesthetist: object
    theatre: Room
    kind: AppointmentType
    template: TeamTemplate


def team_world(make, *, anaesthetist_start: str = "09:00", anaesthetist_end: str = "12:00") -> TeamWorld:
    hospital = make.hospital()
    surgery, anaesthesia = make.specialty("Surgery", "SUR"), make.specialty("Anaesthesia", "ANA")
    surgeons = [make.doctor(hospital, surgery, name=f"Surgeon {n}") for n in (1, 2)]
    anaesthetist = make.doctor(hospital, anaesthesia, name="Anaesthetist")
    for doctor in surgeons:
        make.schedule(doctor, hospital)
    make.schedule(anaesthetist, hospital, start=anaesthetist_start, end=anaesthetist_end)
    laser = Equipment(code="laser", name="Laser")
    theatre = Room(hospital_id=hospital.id, name="Theatre A", kind="operating_theatre", bookable=True)
    theatre.equipment.append(laser)
    kind = AppointmentType(hospital_id=hospital.id, code="laser", name="Laser surgery", duration_minutes=60)
    kind.equipment.append(laser)
    db.session.add_all([theatre, kind])
    db.session.flush()
    put_schedule(None, resource_for_room(theatre.id).id, hospital.id,
                 ScheduleInput(valid_from=date(2020, 1, 1), valid_till=None, min_notice_minutes=0,
                               rules=[RuleInput(weekday=d, start=time(8), end=time(18), slot_minutes=30)
                                      for d in range(7)]))
    template = teams.put_template(None, kind, [
        {"name": "surgeon", "kind": "doctor", "specialty_id": surgery.id},
        {"name": "anaesthetist", "kind": "doctor", "doctor_ids": [anaesthetist.id]},
        {"name": "theatre", "kind": "room"}])
    db.session.commit()
    return TeamWorld(hospital, surgeons, anaesthetist, theatre, kind, template)
