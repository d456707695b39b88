"""E-mails about money (docs/payments.md, "Receipts"): a receipt when a payment arrives, a note when it goes back,
and the apology when a payment came after its slot was given to someone else. Each is an outbox row written in the
payment's own transaction, with a dedupe key per payment and event."""
from __future__ import annotations

from app.extensions import db
from app.models import Appointment, Patient, Payment, User
from app.money import format_money
from app.notifications.events import appointment_context, language_for
from app.notifications.outbox import queue

METHODS = {"en": {"card": "card (online)", "cash": "cash", "terminal": "card terminal"},
           "de": {"card": "Karte (online)", "cash": "bar", "terminal": "Kartenterminal"}}


def _send(payment: Payment, template: str, key: str) -> bool:
    patient = db.session.get(Patient, payment.patient_id)
    user = db.session.get(User, patient.user_id) if patient is not None and patient.user_id else None
    if user is None or not user.active or patient.notify_email is False:
        return False
    appointment = db.session.get(Appointment, payment.appointment_id)
    language = language_for(user, appointment)
    ctx = appointment_context(appointment, language) | {
        "amount": format_money(payment.amount, payment.currency, language),
        "method": METHODS.get(language, METHODS["en"])[payment.method],
        "payment_id": payment.id, "note": payment.note or ""}
    return queue("email", user.email, template, ctx, f"payment:{payment.id}:{key}", language=language,
                 appointment_id=appointment.id, user_id=user.id)


def payment_receipt(payment: Payment) -> bool:
    return _send(payment, "payment_receipt", "receipt")


def payment_refunded(payment: Payment) -> bool:
    return _send(payment, "payment_refunded", "refund")


def late_payment_refunded(payment: Payment) -> bool:
    return _send(payment, "payment_late_refunded", "late")
