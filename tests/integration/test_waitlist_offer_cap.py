"""Offers a person can handle (docs/settings.md, WAITLIST_MAX_OPEN_OFFERS) and near slots released to routine
patients at once when nobody urgent waits (app/scheduling/waitlist.py, the early release)."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import offer_short_notice_slots
from app.models import Appointment, Offer
from app.services import booking, waitlist

NOW = datetime(2026, 2, 27, 8, 0)  # a Friday; the schedule runs 09:00-12:00 London every day
SLOT = datetime(2026, 3, 3, 9, 0)


@pytest.fixture
def clinic(make):
    hospital = make.hospital()
    specialty = make.specialty()
    doctor = make.doctor(hospital, specialty)
    make.schedule(doctor, hospital)
    return hospital, specialty, doctor


def _join(patient, specialty, **kw):
    entry = waitlist.join(None, patient, waitlist.Wish(specialty_id=specialty.id, latest=date(2026, 3, 10), **kw),
                          now=NOW)
    db.session.commit()
    return entry


def _open_per_patient() -> Counter:
    return Counter(o.entry.patient_id for o in db.session.scalars(select(Offer).where(Offer.status == "open")))


def test_the_short_notice_job_gives_each_patient_two_offers_and_the_rest_to_the_next(clinic, make):
    _, specialty, doctor = clinic
    patients = [make.patient() for _ in range(4)]
    for patient in patients:
        _join(patient, specialty)
    now = SLOT - timedelta(hours=2)  # 09:00 ... 10:00: five slots start within three hours
    made = offer_short_notice_slots(now=now)
    db.session.commit()
    assert _open_per_patient() == Counter({p.id: 2 for p in patients}) and made == 8
    holds = db.session.scalars(select(Appointment.start).where(Appointment.status == "held")
                               .order_by(Appointment.start)).all()
    # three patients at a time: the first two slots reach the first three, the next two the fourth; the fifth
    # slot, 10:00, stays on sale
    assert holds == [SLOT + timedelta(minutes=15 * i) for i in range(4)]
    assert sorted(Counter(o.hold.start for o in db.session.scalars(select(Offer))).values()) == [1, 1, 3, 3]
    assert offer_short_notice_slots(now=now + timedelta(minutes=1)) == 0  # everyone holds two: nothing more


def test_a_patient_at_the_cap_gets_offers_again_once_they_answer(clinic, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "WAITLIST_MAX_OPEN_OFFERS", 1)
    _, specialty, doctor = clinic
    patient = make.patient()
    entry = _join(patient, specialty)
    first, second = (booking.book(None, make.patient(), doctor, SLOT + timedelta(minutes=m), now=NOW) for m in (0, 15))
    db.session.commit()
    booking.cancel(None, first, "", now=NOW)
    booking.cancel(None, second, "", now=NOW)
    db.session.commit()
    offers = db.session.scalars(select(Offer).where(Offer.entry_id == entry.id)).all()
    assert [o.hold.start for o in offers] == [SLOT]  # one open offer at a time: the second slot went back on sale
    waitlist.decline(patient.user_id, offers[0], patient, now=NOW + timedelta(minutes=1))
    db.session.commit()
    third = booking.book(None, make.patient(), doctor, SLOT + timedelta(minutes=30), now=NOW)
    booking.cancel(None, third, "", now=NOW + timedelta(minutes=2))
    db.session.commit()
    fresh = db.session.scalars(select(Offer).where(Offer.entry_id == entry.id, Offer.status == "open")).all()
    assert [o.hold.start for o in fresh] == [SLOT + timedelta(minutes=30)]


def test_a_slot_freed_30_hours_ahead_goes_to_a_routine_patient_at_once(clinic, make):
    _, specialty, doctor = clinic
    entry = _join(make.patient(), specialty)
    appointment = booking.book(None, make.patient(), doctor, SLOT, now=NOW)
    db.session.commit()
    booking.cancel(None, appointment, "", now=SLOT - timedelta(hours=30))
    db.session.commit()
    offer = db.session.scalar(select(Offer))
    assert offer.entry_id == entry.id and offer.hold.start == SLOT  # not 3 hours before the start: now


def test_with_an_urgent_patient_waiting_a_near_slot_goes_to_them_only(clinic, make):
    _, specialty, doctor = clinic
    _join(make.patient(), specialty)
    urgent = _join(make.patient(), specialty, urgency="urgent")
    appointment = booking.book(None, make.patient(), doctor, SLOT, now=NOW)
    db.session.commit()
    booking.cancel(None, appointment, "", now=SLOT - timedelta(hours=30))
    db.session.commit()
    assert [o.entry_id for o in db.session.scalars(select(Offer))] == [urgent.id]
