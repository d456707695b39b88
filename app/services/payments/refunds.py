"""Money back (docs/payments.md, "Refunds"): by the hospital's cancellation policy when an appointment is cancelled
(in full before the online cut-off, nothing after), or by staff with a reason whatever the time. Online payments
go back through Stripe with an idempotency key; cash and terminal payments are paid back at the desk and recorded."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Payment
from app.models.base import utcnow
from app.notifications import payments as notify
from app.services import audit, signals
from app.services.payments import gateway
from app.services.payments.checkout import FIELDS


def refund_due(appointment: Appointment, cancelled_at: datetime) -> bool:
    """The hospital's policy: a full refund when cancelled before its cut-off, none after."""
    return cancelled_at <= appointment.start - timedelta(hours=appointment.hospital.cancel_cutoff_hours)


def paid_payment(appointment_id: int) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.appointment_id == appointment_id,
                                                   Payment.status == "paid").order_by(Payment.id).limit(1))


def refund(actor_id: int | None, payment: Payment, reason: str, *, now: datetime | None = None) -> Payment:
    """Refund the payment in full. Card payments through Stripe; desk payments are recorded as paid back."""
    if payment.status != "paid":
        raise core.SchedulingError("Only a paid payment can be refunded.", "payment")
    if not reason.strip():
        raise core.SchedulingError("Say why the money goes back.", "reason")
    now = now or utcnow()
    before = audit.snapshot(payment, FIELDS)
    if payment.method == "card":
        payment.refund_id = gateway.refund(payment.key, payment.intent_id, payment.amount, payment.currency).id
    payment.status, payment.refunded_amount, payment.refunded_at = "refunded", payment.amount, now
    payment.note = reason.strip()[:500]
    db.session.flush()
    audit.record(actor_id, "payment.refund", "payment", payment.id, hospital_id=payment.hospital_id, before=before,
                 after=audit.snapshot(payment, FIELDS), comment=payment.note)
    notify.payment_refunded(payment)
    return payment


def on_cancelled(_sender, *, actor_id: int | None, appointment: Appointment, now: datetime, **_kw) -> None:
    """booking.cancel's signal: an online payment goes back when the policy says so, in the same transaction."""
    payment = paid_payment(appointment.id)
    if payment is None or payment.method != "card":
        return  # nothing paid, or paid at the desk: the desk pays it back (refund above, by staff)
    if refund_due(appointment, now):
        refund(actor_id, payment, "cancelled before the cut-off: full refund", now=now)
    else:
        payment.note = "cancelled after the cut-off: no refund"
        db.session.flush()


signals.appointment_cancelled.connect(on_cancelled)
