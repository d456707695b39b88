"""The waitlist listens: time freed by booking and time added by availability is offered to waiting patients.

Booking and availability announce what happened (app.services.signals); this module subscribes when the waitlist
package loads, so neither of them imports the waitlist (docs/architecture.md, "Events"). Each handler runs in the
announcer's open transaction: the holds and offers commit with the cancellation or the added hours, or neither does.
Muted work (demo data, imports) tells nobody, so it offers nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Doctor, Hospital, SchedulableResource
from app.models.base import utcnow
from app.notifications.events import MUTED_KEY
from app.scheduling.codes import Urgency
from app.services import signals
from app.services.availability import SlotQuery, search_slots
from app.services.waitlist.matching import waiting_for
from app.services.waitlist.offers import slot_freed

OFFER_NEW_SLOTS = 20  # added time offers at most this many slots at once; later ones are found by search


@signals.slot_freed.connect
def offer_freed_slot(_sender, *, actor_id: int | None, doctor_id: int, hospital_id: int, start: datetime,
                     end: datetime, appointment_type: str | None, freed_by: int | None, now: datetime) -> None:
    """A cancelled or moved appointment's time goes to the best-ranked waiting patients (not the one who freed it)."""
    if db.session.info.get(MUTED_KEY) or start <= now:
        return
    slot_freed(actor_id, doctor_id, hospital_id, start, end, appointment_type=appointment_type,
               exclude_patients=(freed_by,) if freed_by else (), now=now)


@signals.time_added.connect
def offer_added_time(_sender, *, actor_id: int | None, resource_id: int, hospital_id: int, start: datetime,
                     end: datetime, now: datetime | None) -> None:
    if not db.session.info.get(MUTED_KEY):
        offer_new_time(actor_id, resource_id, hospital_id, start, end, now=now)


def offer_new_time(actor_id: int | None, resource_id: int, hospital_id: int, start: datetime, end: datetime,
                   now: datetime | None = None) -> int:
    """Time that became available (added hours, the end of a leave) is offered to the waitlist at once, like a
    cancellation: the first OFFER_NEW_SLOTS free slots inside [start, end) that have candidates get a hold and offers.
    Returns the number of patients offered a slot."""
    now = now or utcnow()
    doctor_id = db.session.scalar(select(SchedulableResource.doctor_id).where(SchedulableResource.id == resource_id))
    hospital = db.session.get(Hospital, hospital_id)
    if doctor_id is None or hospital is None or end <= now:
        return 0
    tz = ZoneInfo(hospital.timezone)
    first, last = core.local_day(max(start, now), tz), core.local_day(end, tz)
    last = min(last, first + timedelta(days=91))  # the search's longest span
    if not waiting_for(db.session.get(Doctor, doctor_id), first):
        return 0  # nobody waits: no search
    found = search_slots(SlotQuery(first_day=first, last_day=last, doctor_id=doctor_id, hospital_id=hospital_id,
                                   urgency=Urgency.URGENT, urgency_by_staff=True, limit=200), now)
    # each new slot to the best patient not yet offered one: many slots at once reach many patients, and nobody
    # gets twenty messages; an unanswered offer moves on when its hold expires
    offered: set[int] = set()
    for slot in [r for r in found if r.start >= start and r.end <= end][:OFFER_NEW_SLOTS]:
        made = slot_freed(actor_id, doctor_id, hospital_id, slot.start, slot.end, now=now, exclude_patients=offered,
                          batch=1)
        offered |= {offer.entry.patient_id for offer in made}
    return len(offered)
