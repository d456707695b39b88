"""cosmicpython's proof for the waitlist: racing accepts on the real database give exactly one winner.

Each racer runs in its own thread with its own app context, session and connection, and all start together at a
barrier. The first test races different patients for one hold; the second races one patient's two offers (two
holds, one waitlist entry): one booking, and the other hold stays held for someone else."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Offer, Patient
from app.services import booking, waitlist
from tests.integration.racing import double_booked_cells, race

NOW = datetime(2026, 2, 27, 8, 0)  # days before the slots: outside the matcher's 48-hour urgent window
RACERS = 4


def _race(app, jobs: list[tuple[int, int]]) -> list[str]:
    """jobs: (offer id, patient id) per racer; each accepts and commits. Returns the outcomes."""
    def accept(i: int):
        offer_id, patient_id = jobs[i]
        offer, patient = db.session.get(Offer, offer_id), db.session.get(Patient, patient_id)
        return waitlist.accept(None, offer, patient, now=NOW + timedelta(minutes=1))

    results, errors = race(app, accept, len(jobs), timeout=30)
    return errors + ["closed" if isinstance(r, core.OfferClosed) else repr(r) if isinstance(r, Exception) else "won"
                     for r in results]


@pytest.fixture
def clinic(make):
    hospital = make.hospital()
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty)
    make.schedule(doctor, hospital)
    return hospital, specialty, doctor


def test_racing_accepts_on_one_hold_have_exactly_one_winner(app, make, clinic):
    _, specialty, doctor = clinic
    app.config["WAITLIST_OFFERS_AT_ONCE"] = RACERS
    try:
        waiting = [make.patient() for _ in range(RACERS)]
        for patient in waiting:
            waitlist.join(None, patient, waitlist.Wish(specialty_id=specialty.id, latest=date(2026, 3, 10)), now=NOW)
        appointment = booking.book(None, make.patient(), doctor, datetime(2026, 3, 3, 9), now=NOW)
        db.session.commit()
        booking.cancel(None, appointment, "", now=NOW)
        db.session.commit()
        offers = db.session.scalars(select(Offer).order_by(Offer.id)).all()
        assert len(offers) == RACERS
        jobs = [(o.id, o.entry.patient_id) for o in offers]
    finally:
        app.config.pop("WAITLIST_OFFERS_AT_ONCE")

    outcomes = _race(app, jobs)

    assert sorted(outcomes) == ["closed"] * (RACERS - 1) + ["won"]
    db.session.rollback()  # end this session's snapshot: MariaDB reads are REPEATABLE READ
    statuses = sorted(db.session.scalars(select(Offer.status)))
    assert statuses == ["accepted"] + ["taken"] * (RACERS - 1)
    booked = db.session.scalars(select(Appointment).where(Appointment.start == datetime(2026, 3, 3, 9),
                                                          Appointment.status == "scheduled")).all()
    assert len(booked) == 1 and booked[0].patient_id is not None
    assert double_booked_cells() == 0


def test_one_patient_accepting_two_offers_at_once_gets_one_booking(app, make, clinic):
    _, specialty, doctor = clinic
    patient = make.patient()
    entry = waitlist.join(None, patient, waitlist.Wish(specialty_id=specialty.id, latest=date(2026, 3, 10)), now=NOW)
    others = [make.patient() for _ in range(2)]
    starts = [datetime(2026, 3, 3, 9), datetime(2026, 3, 4, 9)]
    for other, start in zip(others, starts, strict=True):
        booking.book(None, other, doctor, start, now=NOW)
    db.session.commit()
    for appointment in db.session.scalars(select(Appointment).order_by(Appointment.start)).all():
        booking.cancel(None, appointment, "", now=NOW)
    db.session.commit()
    offers = db.session.scalars(select(Offer).where(Offer.entry_id == entry.id).order_by(Offer.id)).all()
    assert len(offers) == 2

    outcomes = _race(app, [(o.id, patient.id) for o in offers])

    assert sorted(outcomes) == ["closed", "won"]
    db.session.rollback()
    mine = db.session.scalars(select(Appointment).where(Appointment.patient_id == patient.id)).all()
    assert len(mine) == 1 and mine[0].status == "scheduled"
    assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.status == "held")) == 0
    # the other hold was let go: nobody else waits, so its slot is back on sale
    assert sorted(db.session.scalars(select(Offer.status))) == ["accepted", "declined"]
    assert double_booked_cells() == 0
