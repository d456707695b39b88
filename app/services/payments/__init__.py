"""Payments (docs/payments.md): Stripe PaymentIntents held against a slot, the signed webhook, refunds by the
cancellation policy, and payments taken at the desk."""
from app.services.payments import checkout, desk, policy, refunds, settings, webhooks  # noqa: F401
from app.services.payments.gateway import CardDeclined, PaymentUnavailable

__all__ = ["CardDeclined", "PaymentUnavailable", "checkout", "desk", "policy", "refunds", "settings", "webhooks"]
