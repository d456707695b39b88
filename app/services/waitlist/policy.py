"""Who may do what with waitlist entries and offers: pages and the API ask here."""
from __future__ import annotations

from app.models import Offer, Patient, Role, User, WaitlistEntry
from app.services.access import visible_hospital_ids
from app.services.booking.policy import is_patient, own_patient
from app.services.directory.policy import may_act_for_patient


def may_add_for(user: User, patient: Patient) -> bool:
    """Patients join for themselves; the desk and admins put any patient on the waitlist; nobody else does."""
    if is_patient(user):
        own = own_patient(user)
        return own is not None and own.id == patient.id
    return user.role in (Role.STAFF, Role.ADMIN)


def may_manage_entry(user: User, entry: WaitlistEntry) -> bool:
    """Leaving the waitlist, seeing an entry's offers: its own patient."""
    own = own_patient(user)
    return own is not None and entry.patient_id == own.id


def may_answer_offer(user: User, offer: Offer) -> bool:
    """An offer is answered by the patient it was sent to: logged in as them, or (no login) holding its signed link.
    A patient logged in as someone else must not answer another patient's offer from a shared computer."""
    if not getattr(user, "is_authenticated", False) or not is_patient(user):
        return True  # the signed link alone is the patient's key (app/offers)
    own = own_patient(user)
    return own is not None and offer.entry.patient_id == own.id


def may_run_batch(user: User, hospital_id: int) -> bool:
    """Batch offers (the optimiser over a window's free slots): the desk and hospital admins, at their own
    hospitals (a region admin: any); everyone else is told no such hospital (404)."""
    if user.role not in (Role.STAFF, Role.ADMIN):
        return False
    scope = visible_hospital_ids(user)
    return scope is None or hospital_id in scope


def may_place_emergency(user: User, hospital_id: int, patient: Patient) -> bool:
    """An emergency at the desk (waitlist/emergency.py): whoever may run batch offers at the hospital, for a patient
    they may book for; otherwise no such hospital or patient (404)."""
    return may_run_batch(user, hospital_id) and may_act_for_patient(user, patient)
