"""A doctor's monthly statement (docs/reports.md): the fees of completed appointments per hospital and type, with
no-shows and cancellations listed apart. Read from the appointments (a month of one doctor is a small read); the
fee and currency are the ones stored at booking, so a later price change does not rewrite a past month.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Doctor, Hospital
from app.scheduling.codes import Status


@dataclass(frozen=True)
class Line:
    hospital_id: int
    hospital: str
    appointment_type: str
    currency: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class Missed:
    start: datetime
    hospital_id: int
    hospital: str
    appointment_type: str
    status: str
    fee: Decimal
    currency: str


@dataclass
class Statement:
    doctor: Doctor
    month: date
    lines: list[Line] = field(default_factory=list)
    missed: list[Missed] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, Decimal]:
        """Earned per currency: the hospitals of a region may bill in different ones."""
        result: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            result[line.currency] += line.total
        return dict(sorted(result.items()))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = datetime(month.year, month.month, 1)
    following = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return first, following


def statement(doctor: Doctor, month: date, hospital_ids: frozenset[int] | None = None) -> Statement:
    """The month's statement of the doctor, limited to ``hospital_ids`` (None: every hospital)."""
    start, end = month_bounds(month)
    a = Appointment
    query = (select(Hospital.id, Hospital.name, a.appointment_type, a.status, a.start, a.fee, a.currency,
                    Hospital.currency)
             .join(Hospital, Hospital.id == a.hospital_id)
             .where(a.doctor_id == doctor.id, a.start >= start, a.start < end,
                    a.status.in_((Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED)))
             .order_by(a.start, a.id))
    if hospital_ids is not None:
        query = query.where(a.hospital_id.in_(hospital_ids))
    grouped: dict[tuple[str, int, str, str], list[Decimal]] = defaultdict(list)
    result = Statement(doctor, date(month.year, month.month, 1))
    for hospital_id, hospital, kind, status, when, fee, currency, hospital_currency in db.session.execute(query):
        fee, currency = fee or Decimal("0"), currency or hospital_currency
        if status == Status.COMPLETED:
            grouped[(hospital, hospital_id, kind, currency)].append(fee)
        else:
            result.missed.append(Missed(when, hospital_id, hospital, kind, status, fee, currency))
    result.lines = [Line(i, h, k, c, len(fees), sum(fees, Decimal("0")))
                    for (h, i, k, c), fees in sorted(grouped.items())]
    return result
