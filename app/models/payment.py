"""Payments for appointments (docs/payments.md): each hospital's payment settings, the payments themselves and the
Stripe events already applied."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class PaymentSettings(db.Model):
    """How a hospital takes payment: off, optional (the patient may pay online) or required at booking for the
    chosen appointment types. No row: off."""

    __tablename__ = "payment_settings"

    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(8), default="off")  # off | optional | required
    paid_types: Mapped[str] = mapped_column(Text, default="")  # comma-separated type codes that must be paid online
    hold_minutes: Mapped[int] = mapped_column(default=15)  # how long the slot waits for the card
    desk_allowed: Mapped[bool] = mapped_column(default=True, server_default=true())  # "pay at the desk instead"

    def type_codes(self) -> set[str]:
        return {code for code in (self.paid_types or "").split(",") if code}


class Payment(db.Model):
    """One payment of one appointment: online through a Stripe PaymentIntent, or recorded by the desk."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(8))  # card (online) | cash | terminal
    # pending -> paid -> refunded; pending -> expired | failed
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # the stem of every idempotency key sent to Stripe for this payment: random, so no two databases share one
    key: Mapped[str] = mapped_column(String(32), default=lambda: uuid4().hex)
    refund_id: Mapped[str | None] = mapped_column(String(255))
    refunded_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    note: Mapped[str | None] = mapped_column(Text)  # a refund's reason, a late payment's fate
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]

    appointment: Mapped["Appointment"] = relationship()  # noqa: F821, UP037
    hospital: Mapped["Hospital"] = relationship()  # noqa: F821, UP037


class StripeEvent(db.Model):
    """A Stripe event already applied: the unique id makes a second delivery a no-op, even when two race."""

    __tablename__ = "stripe_events"
    __table_args__ = (UniqueConstraint("event_id", name="uq_stripe_events_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
