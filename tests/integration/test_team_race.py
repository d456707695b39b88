"""Overlapping team bookings race on the real database: the claims' unique index lets exactly one team win."""
from datetime import datetime

from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Claim, Participant, Patient, Role, TeamTemplate, User
from app.services import teams
from tests.integration.racing import double_booked_cells, race
from tests.integration.team_world import team_world

NOW = datetime(2026, 3, 2, 7, 0)
RACERS = 6


def test_overlapping_teams_exactly_one_wins(app, make):
    world = team_world(make)
    staff_id, template_id = make.user(Role.STAFF, world.hospital).id, world.template.id
    patients = [make.patient().id for _ in range(RACERS)]
    # every racer wants the one anaesthetist and the one theatre, at starts that overlap by 15 to 45 minutes
    starts = [datetime(2026, 3, 3, 9, 15 * (i % 4)) for i in range(RACERS)]

    def book(i: int):
        actor, template = db.session.get(User, staff_id), db.session.get(TeamTemplate, template_id)
        return teams.book_team(actor, template, db.session.get(Patient, patients[i]), starts[i], now=NOW).id

    results, errors = race(app, book, RACERS, timeout=30)
    assert errors == []
    won = [r for r in results if isinstance(r, int)]
    assert len(won) == 1
    assert all(isinstance(r, core.SlotTaken) for r in results if not isinstance(r, int))  # TeamNotFree is one
    db.session.rollback()  # end this session's snapshot: MariaDB reads are REPEATABLE READ
    assert double_booked_cells() == 0
    assert db.session.scalar(select(func.count(Appointment.id))) == 1
    assert db.session.scalar(select(func.count(Participant.id))) == 3
    assert db.session.scalar(select(func.count(Claim.id))) == 3 * 12
