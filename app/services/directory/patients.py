"""Finding patients (the front desk's search)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Patient


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
