"""The late release (issue #7): a slot still free LATE_RELEASE_HOURS before its start goes to routine entries too.

The matcher keeps slots less than 48 hours ahead for urgent entries (app.scheduling.waitlist). A slot nobody urgent
took is, close to its start, better given to a routine patient willing to come at short notice than lost, as long as
urgent requests still to come find a place: the urgent reserve. This module answers, for the matcher's FreedSlot,
whether the reserve holds (``late_release_allowed``), and runs the periodic sweep that offers such slots
(``offer_short_notice_slots``): the system learns of a freed slot when it is freed, but a slot becomes late only as
the clock runs, so a job has to look. Offers go through waitlist_offers.slot_freed: holds, messages and racing
accepts work as for any freed slot. Functions flush and never commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Offer, WaitlistEntry
from app.models.base import utcnow
from app.scheduling import waitlist as matcher
from app.scheduling.codes import WaitStatus
from app.services.availability.search import SlotResult, search_slots
from app.services.waitlist.offers import slot_freed
from app.services.waitlist.reserve import slot_query

NEAR_LIMIT = 50  # slots per specialty or doctor looked at per run: a specialty rarely has more free within 3 hours


def _targets() -> set[tuple[int | None, int | None]]:
    """(specialty, doctor) pairs with waiting entries: a doctor-named entry as the doctor, else the specialty."""
    rows = db.session.execute(select(WaitlistEntry.specialty_id, WaitlistEntry.doctor_id)
                              .where(WaitlistEntry.status == WaitStatus.WAITING).distinct()).all()
    return {(None, doctor_id) if doctor_id is not None else (specialty_id, None)
            for specialty_id, doctor_id in rows if specialty_id is not None or doctor_id is not None}


def near_free_slots(now: datetime) -> list[SlotResult]:
    """Free slots starting within LATE_RELEASE_HOURS of ``now``, of the specialties and doctors someone waits for,
    earliest first. A held slot (an offer out) is not free, so it is not among them."""
    until = now + timedelta(hours=matcher.LATE_RELEASE_HOURS)
    found: dict[tuple[int, datetime], SlotResult] = {}
    for specialty_id, doctor_id in sorted(_targets(), key=lambda t: (t[0] or 0, t[1] or 0)):
        query = slot_query(specialty_id, doctor_id or 0, now, until, NEAR_LIMIT)
        for result in search_slots(query, now):
            if now < result.start <= until:
                found.setdefault((result.doctor_id, result.start), result)
    return sorted(found.values(), key=lambda r: (r.start, r.doctor_id))


def _asked_before(doctor_id: int, start: datetime) -> set[int]:
    """Patients already offered this slot on an earlier hold (released since): nobody is asked twice."""
    return set(db.session.scalars(select(WaitlistEntry.patient_id).join(Offer, Offer.entry_id == WaitlistEntry.id)
                                  .join(Appointment, Appointment.id == Offer.hold_id)
                                  .where(Appointment.doctor_id == doctor_id, Appointment.start == start)))


def offer_short_notice_slots(now: datetime | None = None) -> int:
    """Offer the free slots starting within LATE_RELEASE_HOURS to the waiting entries, routine included, where the
    urgent reserve allows (the matcher decides who, waitlist_offers.slot_freed holds and offers). Returns the offers
    made."""
    now = now or utcnow()
    made = 0
    for slot in near_free_slots(now):
        made += len(slot_freed(None, slot.doctor_id, slot.hospital_id, slot.start, slot.end, now=now,
                               exclude_patients=_asked_before(slot.doctor_id, slot.start)))
    return made
