"""The desk takes money in person: cash or the card terminal (docs/payments.md, "At the desk")."""
from __future__ import annotations

from datetime import datetime

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Payment
from app.models.base import utcnow
from app.notifications import payments as notify
from app.services import audit
from app.services.payments.checkout import FIELDS
from app.services.payments.refunds import paid_payment

DESK_METHODS = ("cash", "terminal")


def record(actor_id: int, appointment: Appointment, method: str, *, now: datetime | None = None) -> Payment:
    """The patient paid the appointment's fee at the desk; a receipt goes out by e-mail."""
    if method not in DESK_METHODS:
        raise core.SchedulingError("Choose cash or card terminal.", "method")
    if appointment.patient_id is None or appointment.status not in core.ACTIVE | {"completed"}:
        raise core.SchedulingError("Only a booked appointment can be paid.", "payment")
    if not appointment.fee or appointment.fee <= 0:
        raise core.SchedulingError("This appointment has no fee.", "payment")
    if paid_payment(appointment.id) is not None:
        raise core.SchedulingError("This appointment is already paid.", "payment")
    now = now or utcnow()
    payment = Payment(appointment_id=appointment.id, patient_id=appointment.patient_id,
                      hospital_id=appointment.hospital_id, amount=appointment.fee,
                      currency=appointment.currency or appointment.hospital.currency, method=method, status="paid",
                      recorded_by_id=actor_id, created_at=now, paid_at=now)
    db.session.add(payment)
    db.session.flush()
    audit.record(actor_id, "payment.desk", "payment", payment.id, hospital_id=payment.hospital_id,
                 after=audit.snapshot(payment, FIELDS))
    notify.payment_receipt(payment)
    return payment
