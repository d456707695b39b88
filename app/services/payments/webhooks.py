"""Stripe's signed events (docs/payments.md, "Webhook"). The entry point verifies the signature over the raw body
first; `apply` then records the event id (unique: a second delivery, even a racing one, is refused by the index
and acknowledged without effect) and applies what it says, in one transaction."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Payment, StripeEvent
from app.services.payments import checkout


def seen(event_id: str) -> bool:
    return db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event_id)) is not None


def apply(event) -> str:
    """What the event did: "applied", "duplicate", "unknown" (an intent that is not ours) or "ignored" (a type we
    do not act on). An IntegrityError from the insert means a racing delivery got there first."""
    if seen(event.id):
        return "duplicate"
    db.session.add(StripeEvent(event_id=event.id[:255], type=event.type[:80]))
    db.session.flush()
    if event.type != "payment_intent.succeeded":
        return "ignored"
    intent = event.data.object
    payment = db.session.scalar(select(Payment).where(Payment.intent_id == intent.id))
    if payment is None:
        return "unknown"
    checkout.succeeded(payment)
    return "applied"
