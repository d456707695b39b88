"""Finding patients at the front desk, and registering those without an account (docs/security.md, "Patients at
the desk").

The desk's search lists only patients tied to the desk's hospitals (policy.tied_to), with their full records.
Anyone else is found only by an exact match of two identifiers (full name and date of birth, or phone and date of
birth), shown as a minimal card, and each such lookup is audited with who, when and why. The user's words never
act as LIKE wildcards (app.services.rows.contains).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Patient
from app.phones import e164
from app.services import audit
from app.services.directory.choosable import choosable_patient
from app.services.directory.policy import tied_to
from app.services.rows import contains


class PatientLookupError(Exception):
    """The exact lookup lacks what it needs; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def search_patients(term: str, hospital_ids: Iterable[int] | None = None, limit: int = 25) -> list[Patient]:
    """Patients tied to `hospital_ids` (None: every hospital, a region admin) by name, phone or birth date
    (YYYY-MM-DD). A term's % and _ are plain letters."""
    term = term.strip()
    if not term:
        return []
    query = select(Patient).where(choosable_patient())
    if hospital_ids is not None:
        query = query.where(tied_to(hospital_ids))
    try:
        born = date.fromisoformat(term)
    except ValueError:
        digits = "".join(ch for ch in term if ch.isdigit())
        conditions = [contains(func.lower(Patient.name), term.lower())]
        if len(digits) >= 4:
            conditions.append(contains(Patient.phone, digits))
        query = query.where(or_(*conditions))
    else:
        query = query.where(Patient.birth_date == born)
    return list(db.session.scalars(query.order_by(Patient.name).limit(limit)))


@dataclass(frozen=True)
class Card:
    """What the desk sees of a patient of no tie to its hospitals: the name, and that they are not a patient here."""

    id: int
    name: str


def lookup_elsewhere(actor_id: int | None, hospital_id: int | None, *, birth_date: date | None,
                     name: str | None = None, phone: str | None = None, reason: str,
                     hospital_ids: Iterable[int] | None = None) -> list[Card]:
    """Patients not tied to `hospital_ids` matching exactly: full name + date of birth, or phone + date of birth.

    Audited (``patient.lookup``) with the actor, the time, the reason and the ids found; the identifiers typed are
    not kept. Raises PatientLookupError when a date of birth, a second identifier or the reason is missing.
    """
    reason = (reason or "").strip()
    name = " ".join((name or "").split())
    phone = (phone or "").strip()
    if not reason:
        raise PatientLookupError("Say why you look this patient up.", "reason")
    if birth_date is None:
        raise PatientLookupError("The date of birth is needed.", "birth_date")
    if not name and not phone:
        raise PatientLookupError("Give the full name or the phone number.", "name")
    conditions = []
    if name:
        conditions.append(func.lower(Patient.name) == name.lower())
    if phone:
        try:
            number = e164(phone) or phone
        except ValueError:  # not a number we would store; compare it as typed, without spaces
            number = "".join(phone.split())
        conditions.append(Patient.phone == number)
    query = select(Patient).where(Patient.anonymised_at.is_(None), Patient.birth_date == birth_date,
                                  or_(*conditions))
    if hospital_ids is not None:
        query = query.where(~tied_to(hospital_ids))
    found = [Card(p.id, p.name) for p in db.session.scalars(query.order_by(Patient.id).limit(5))]
    after = {"by": "+".join(k for k, v in (("name", name), ("phone", phone)) if v) + "+birth_date",
             "found": [c.id for c in found]}
    for target in [c.id for c in found] or [None]:  # one row per patient found: the grant to book them
        audit.record(actor_id, "patient.lookup", "patient", target, hospital_id=hospital_id, after=after,
                     comment=reason[:255])
    return found


def record_viewed(actor_id: int | None, patient: Patient, hospital_id: int | None) -> None:
    """A member of staff opened the patient's full record: audited (docs/security.md, "Audit")."""
    audit.record(actor_id, "patient.view", "patient", patient.id, hospital_id=hospital_id)


def register_at_desk(actor_id: int | None, hospital_id: int | None, name: str, *, phone: str | None = None,
                     birth_date: date | None = None) -> Patient:
    """A patient without an account, registered by the front desk (audited against the desk's hospital): the
    registration ties them to that hospital."""
    patient = Patient(name=name.strip(), phone=phone or None, birth_date=birth_date,
                      registered_hospital_id=hospital_id)
    db.session.add(patient)
    db.session.flush()
    audit.record(actor_id, "patient.register_at_desk", "patient", patient.id, hospital_id=hospital_id,
                 after=audit.snapshot(patient, ("name", "phone", "birth_date")))
    return patient
