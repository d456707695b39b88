"""Finding patients (the front desk's search)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Patient
from app.services import audit


def search_patients(term: str, limit: int = 25) -> list[Patient]:
    """Find patients by name, phone or birth date (YYYY-MM-DD)."""
    term = term.strip()
    if not term:
        return []
    query = select(Patient)
    try:
        born = date.fromisoformat(term)
    except ValueError:
        like = f"%{term.lower()}%"
        digits = "".join(ch for ch in term if ch.isdigit())
        conditions = [func.lower(Patient.name).like(like)]
        if len(digits) >= 4:
            conditions.append(Patient.phone.like(f"%{digits}%"))
        query = query.where(or_(*conditions))
    else:
        query = query.where(Patient.birth_date == born)
    return list(db.session.scalars(query.order_by(Patient.name).limit(limit)))


def register_at_desk(actor_id: int | None, hospital_id: int | None, name: str, *, phone: str | None = None,
                     birth_date: date | None = None) -> Patient:
    """A patient without an account, registered by the front desk (audited against the desk's hospital)."""
    patient = Patient(name=name.strip(), phone=phone or None, birth_date=birth_date)
    db.session.add(patient)
    db.session.flush()
    audit.record(actor_id, "patient.register_at_desk", "patient", patient.id, hospital_id=hospital_id,
                 after=audit.snapshot(patient, ("name", "phone", "birth_date")))
    return patient
