"""What features tell each other (blinker signals): the sender announces, subscribers decide what follows.

Booking and availability announce freed and added time; the waitlist subscribes and offers that time to waiting
patients in the same transaction. The announcing feature never imports its subscribers, so the dependency runs one
way (docs/architecture.md, "Events"). Every signal is sent inside the caller's open transaction: a subscriber's
writes commit or roll back with the change that caused them.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# A booked slot became free before its start (cancelled, moved away, marked no-show early).
# kwargs: actor_id, doctor_id, hospital_id, start, end (naive UTC), appointment_type, freed_by (patient id), now
slot_freed = _signals.signal("slot-freed")

# A doctor's bookable time grew (extra hours added, the end of a leave removed).
# kwargs: actor_id, resource_id, hospital_id, start, end (naive UTC), now
time_added = _signals.signal("time-added")

# A patient's account was erased (the patient row stays, anonymised, for the records the law keeps).
# kwargs: actor_id, patient_id, user_id, appointment_ids (every appointment of the patient), redactions (a dict:
# each former personal value -> what replaces it, e.g. "Grace Hopper" -> "Deleted patient"), now
# Subscribers remove or redact their copies in the same transaction (docs/security.md, "Erasure").
patient_erased = _signals.signal("patient-erased")

# An appointment was cancelled (by the patient, the hospital or the system).
# kwargs: actor_id, appointment, now. Payments subscribes: an online payment is refunded by the hospital's policy.
appointment_cancelled = _signals.signal("appointment-cancelled")
# A patient's appointment was booked, taken from a waitlist hold, or moved to a new time (every path: pages, desk,
# API, offers). kwargs: appointment (flushed, with its id and times), now (naive UTC)
appointment_booked = _signals.signal("appointment-booked")
# A resource (a doctor, a room) took time off: a leave or closure was added. kwargs: actor_id, resource_id,
# hospital_id, start, end (naive UTC), now. Teams subscribes: a team appointment it overlaps needs rebooking.
leave_added = _signals.signal("leave-added")
