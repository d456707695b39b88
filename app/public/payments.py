"""Stripe's webhook (docs/payments.md, "Webhook"): no login, no CSRF token; the signature over the raw body is the
only credential. A bad signature or an old timestamp is a 400 and changes nothing; an event applied before, or one
about an intent that is not ours, is acknowledged (200) so that Stripe stops sending it."""
from __future__ import annotations

import logging

from flask import abort, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from app.extensions import csrf
from app.public import bp
from app.services.payments import PaymentUnavailable, webhooks
from app.services.payments.gateway import verify_event
from app.transaction import transaction

log = logging.getLogger(__name__)


@bp.route("/payments/stripe/webhook", methods=["POST"])
@csrf.exempt
def stripe_webhook():
    if not current_app.config.get("STRIPE_WEBHOOK_SECRET"):
        abort(404)
    payload = request.get_data(cache=False)  # the exact bytes Stripe signed
    try:
        event = verify_event(payload, request.headers.get("Stripe-Signature"))
    except ValueError as err:
        log.warning("stripe webhook refused: %s", err)
        return jsonify(error="bad_signature", message="The signature does not match or is too old."), 400
    try:
        with transaction():
            outcome = webhooks.apply(event)
    except IntegrityError:
        outcome = "duplicate"  # a second delivery racing the first: the unique event id let only one apply
    except PaymentUnavailable:
        # a refund could not reach Stripe: nothing was recorded, so Stripe's next delivery tries again
        return jsonify(error="payment_unavailable", message="Try again later."), 503
    return jsonify(received=True, outcome=outcome)
