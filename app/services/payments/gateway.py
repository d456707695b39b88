"""The one door to Stripe (docs/payments.md): its official client, pointed at STRIPE_API_BASE when set (localstripe
in tests), with a timeout, and an idempotency key on every request, so a retried call never charges or refunds
twice. A network failure or Stripe's own error becomes `PaymentUnavailable`; a declined card `CardDeclined`."""
from __future__ import annotations

from decimal import Decimal

import stripe
from babel.numbers import get_currency_precision
from flask import current_app

from app import scheduling as core


class PaymentUnavailable(core.SchedulingError):
    """Stripe could not be reached or refused the request: nothing was charged."""

    code, http_status = "payment_unavailable", 503


class CardDeclined(core.SchedulingError):
    code, http_status = "card_declined", 402


def configured() -> bool:
    return bool(current_app.config.get("STRIPE_API_KEY"))


def client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_API_KEY"], base_addresses={"api": base} if base else None, max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT_SECONDS", 10)))


def minor_units(amount: Decimal, currency: str) -> int:
    """Stripe counts in the currency's smallest unit: 80.00 GBP is 8000, 500 JPY is 500."""
    return int((amount * (10 ** get_currency_precision(currency.upper()))).to_integral_value())


def call(operation, *, key: str):
    """Run `operation(options)` against Stripe with the idempotency key `key`; Stripe's failures become ours."""
    try:
        return operation({"idempotency_key": key})
    except stripe.CardError as err:
        raise CardDeclined(err.user_message or "The card was declined.", "card") from err
    except stripe.StripeError as err:
        raise PaymentUnavailable("Online payment is not available right now.", "payment") from err


def create_intent(key: str, amount: Decimal, currency: str, metadata: dict) -> stripe.PaymentIntent:
    return call(lambda options: client().v1.payment_intents.create(params={
        "amount": minor_units(amount, currency), "currency": currency.lower(), "metadata": metadata},
        options=options), key=f"{key}:create")


def pay_with_card(key: str, intent_id: str, card: str) -> stripe.PaymentIntent:
    """Attach the card Stripe.js tokenised in the browser and confirm: the card number never reaches us."""
    stripe_client = client()
    call(lambda options: stripe_client.v1.payment_intents.update(
        intent_id, params={"payment_method": card}, options=options), key=f"{key}:card:{card}")
    return call(lambda options: stripe_client.v1.payment_intents.confirm(intent_id, options=options),
                key=f"{key}:confirm:{card}")


def cancel_intent(key: str, intent_id: str) -> None:
    call(lambda options: client().v1.payment_intents.cancel(intent_id, options=options), key=f"{key}:cancel")


def refund(key: str, intent_id: str, amount: Decimal, currency: str) -> stripe.Refund:
    return call(lambda options: client().v1.refunds.create(params={
        "payment_intent": intent_id, "amount": minor_units(amount, currency)}, options=options), key=f"{key}:refund")


def verify_event(payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if `signature` signs this exact raw body with our secret within the tolerance; else ValueError."""
    config = current_app.config
    try:
        return stripe.Webhook.construct_event(payload, signature, config["STRIPE_WEBHOOK_SECRET"],
                                              tolerance=config.get("STRIPE_WEBHOOK_TOLERANCE_SECONDS", 300))
    except (stripe.SignatureVerificationError, ValueError) as err:
        raise ValueError(str(err)) from err
