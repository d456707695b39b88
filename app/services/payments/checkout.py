"""Paying online for an appointment (docs/payments.md, "States").

A booking the hospital wants paid first is a hold (app.services.booking.holds, the same "held" appointment the
waitlist uses, here with the patient already named) plus a pending payment with a Stripe PaymentIntent. The signed
webhook (app.services.payments.webhooks) turns the hold into the booking; the expiry job puts an unpaid hold back on
sale. A payment that arrives after its slot went to someone else is refunded at once and the patient told.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, AppointmentType, Doctor, Patient, Payment
from app.models.base import utcnow
from app.notifications import payments as notify
from app.services import audit, booking
from app.services.booking.holds import fill_hold, hold_slot, release_hold
from app.services.booking.placement import check_patient_free
from app.services.payments import gateway
from app.services.payments.settings import settings_of

FIELDS = ("status", "amount", "currency", "method", "intent_id", "appointment_id", "refunded_amount")


def start_paid_booking(actor_id: int | None, patient: Patient, doctor: Doctor, start: datetime, *,
                       appointment_type: str | None, hospital_id: int, reason: str | None = None,
                       now: datetime | None = None) -> Payment:
    """Hold the slot for the patient and open a PaymentIntent for its fee. Stripe unreachable raises
    PaymentUnavailable; the caller's transaction then rolls back, so the hold is gone with it."""
    now = now or utcnow()
    placement = booking.place(doctor, start, appointment_type=appointment_type, urgency="routine", now=now,
                              hospital_id=hospital_id)
    check_patient_free(patient, placement.free.start, placement.free.end)
    minutes = settings_of(hospital_id).hold_minutes
    hold = hold_slot(actor_id, doctor, placement, now + timedelta(minutes=minutes), appointment_type=appointment_type,
                     comment="waiting for payment")
    hold.patient_id, hold.reason = patient.id, reason or None
    payment = Payment(appointment_id=hold.id, patient_id=patient.id, hospital_id=hospital_id, amount=hold.fee,
                      currency=hold.currency, method="card", status="pending", created_at=now)
    db.session.add(payment)
    db.session.flush()
    intent = gateway.create_intent(payment.key, payment.amount, payment.currency,
                                   {"payment_id": str(payment.id), "appointment_id": str(hold.id)})
    payment.intent_id = intent.id
    db.session.flush()
    audit.record(actor_id, "payment.start", "payment", payment.id, hospital_id=hospital_id,
                 after=audit.snapshot(payment, FIELDS))
    return payment


def start_for_booked(actor_id: int | None, appointment: Appointment) -> Payment:
    """Pay online for an appointment already booked (a hospital whose payment is optional). An open payment is
    reused, so a reloaded page does not open a second intent."""
    open_payment = db.session.scalar(select(Payment).where(
        Payment.appointment_id == appointment.id, Payment.status.in_(("pending", "paid"))))
    if open_payment is not None:
        return open_payment
    payment = Payment(appointment_id=appointment.id, patient_id=appointment.patient_id,
                      hospital_id=appointment.hospital_id, amount=appointment.fee, currency=appointment.currency,
                      method="card", status="pending")
    db.session.add(payment)
    db.session.flush()
    intent = gateway.create_intent(payment.key, payment.amount, payment.currency,
                                   {"payment_id": str(payment.id), "appointment_id": str(appointment.id)})
    payment.intent_id = intent.id
    db.session.flush()
    audit.record(actor_id, "payment.start", "payment", payment.id, hospital_id=payment.hospital_id,
                 after=audit.snapshot(payment, FIELDS))
    return payment


def pay_with_card(payment: Payment, card: str) -> str:
    """Confirm the payment with the card Stripe.js tokenised; the booking follows from the webhook. Returns
    Stripe's status of the intent (succeeded, processing, requires_action ...)."""
    if payment.status != "pending" or not payment.intent_id:
        raise core.SchedulingError("This payment is no longer open.", "payment")
    return gateway.pay_with_card(payment.key, payment.intent_id, card).status


def succeeded(payment: Payment, now: datetime | None = None) -> Payment:
    """Stripe says the money arrived: the hold becomes the patient's booking. After the hold ran out the slot is
    booked afresh if it is still free; if someone else has it the money goes back at once and the patient is told."""
    now = now or utcnow()
    if payment.status not in ("pending", "expired"):
        return payment  # applied before (a second event for the same intent)
    before = audit.snapshot(payment, FIELDS)
    payment.status, payment.paid_at = "paid", now
    appointment = payment.appointment
    if appointment.status == core.HELD and appointment.hold_until is not None and appointment.hold_until > now:
        fill_hold(None, appointment, appointment.patient, now=now, ignore_id=appointment.id,
                  comment="paid online")
    elif appointment.status == core.HELD or before["status"] == "expired":
        _late(payment, appointment, now)
    elif appointment.status not in core.ACTIVE | {"completed"}:
        # paid for an appointment cancelled meanwhile (the patient gave up the hold, the hospital cancelled)
        _refund_now(payment, now, "paid after the appointment was cancelled: refunded in full")
    db.session.flush()
    audit.record(None, "payment.paid", "payment", payment.id, hospital_id=payment.hospital_id, before=before,
                 after=audit.snapshot(payment, FIELDS))
    if payment.status == "paid":
        notify.payment_receipt(payment)
    return payment


def _late(payment: Payment, hold: Appointment, now: datetime) -> None:
    """The hold expired before the money came: book the same time again if nobody took it, else refund."""
    patient = db.session.get(Patient, payment.patient_id)
    if hold.status == core.HELD:
        release_hold(None, hold, "payment arrived after the hold expired")
    try:
        with db.session.begin_nested():
            fresh = booking.book(None, patient, hold.doctor, hold.start, hospital_id=hold.hospital_id,
                                 appointment_type=_type_code(hold), reason=hold.reason, now=now,
                                 comment="paid online after the hold expired")
    except core.SchedulingError:
        _refund_now(payment, now, "paid after the hold expired and the time was taken: refunded in full")
        return
    payment.appointment_id = fresh.id
    payment.appointment = fresh


def _refund_now(payment: Payment, now: datetime, note: str) -> None:
    """Money for a slot the patient no longer has goes straight back, and the patient is told."""
    payment.refund_id = gateway.refund(payment.key, payment.intent_id, payment.amount, payment.currency).id
    payment.status, payment.refunded_amount, payment.refunded_at, payment.note = "refunded", payment.amount, now, note
    db.session.flush()
    notify.late_payment_refunded(payment)


def _type_code(hold: Appointment) -> str | None:
    return db.session.scalar(select(AppointmentType.code).where(
        AppointmentType.hospital_id == hold.hospital_id, AppointmentType.code == hold.appointment_type))


def expire_holds(now: datetime | None = None) -> int:
    """Holds whose time ran out unpaid go back on sale, their payments expire, their intents are cancelled (an
    intent already paid at Stripe cannot be: its webhook then takes the late path)."""
    now = now or utcnow()
    rows = db.session.execute(select(Payment, Appointment).join(Appointment, Payment.appointment_id == Appointment.id)
                              .where(Payment.status == "pending", Appointment.status == core.HELD,
                                     Appointment.hold_until <= now)
                              .order_by(Payment.id)).all()
    for payment, hold in rows:
        try:
            release_hold(None, hold, "not paid in time", now=now)
        except core.OfferClosed:
            continue
        payment.status = "expired"
        audit.record(None, "payment.expire", "payment", payment.id, hospital_id=payment.hospital_id,
                     after=audit.snapshot(payment, FIELDS))
        try:
            gateway.cancel_intent(payment.key, payment.intent_id)
        except gateway.PaymentUnavailable:
            pass  # paid meanwhile, or Stripe away: a late success is refunded when its event comes
    db.session.flush()
    return len(rows)
