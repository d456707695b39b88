"""The patient pays online (docs/payments.md): the pay page with Stripe Elements, the card it tokenised sent to
the server to confirm the intent, and the status the page polls until the webhook has booked the slot."""
from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import scheduling as core
from app.extensions import db
from app.headers import stripe_js_url, stripe_policy
from app.models import Payment
from app.patient import bp
from app.patient.common import own_appointment
from app.services.payments import CardDeclined, PaymentUnavailable, checkout, policy
from app.services.payments import settings as payment_settings
from app.transaction import transaction
from app.web.words import error_text


def own_payment(payment_id: int) -> Payment:
    """The patient's own payment; anyone else's looks like one that does not exist."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or not policy.may_see(current_user, payment):
        abort(404)
    return payment


def _next_page(payment: Payment) -> str | None:
    appointment = payment.appointment
    if payment.status == "paid" and appointment.status in core.ACTIVE:
        return url_for("patient.appointment", appointment_id=appointment.id, booked=1)
    return None


@bp.route("/payments/<int:payment_id>")
def payment_page(payment_id: int):
    payment = own_payment(payment_id)
    if _next_page(payment):
        return redirect(_next_page(payment))
    # this page alone loads Stripe.js and talks to Stripe's API: Talisman reads the view's own policy (app/headers.py)
    payment_page.talisman_view_options = {"content_security_policy": stripe_policy(current_app.config)}
    return render_template("patient/pay.html", payment=payment, appointment=payment.appointment, problem=None,
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "",
                           stripe_js=stripe_js_url(current_app.config), title=_("Pay for your appointment"))




@bp.route("/payments/<int:payment_id>/card", methods=["POST"])
def payment_card(payment_id: int):
    """Confirm the intent with the card Stripe.js tokenised (a card id, never its number)."""
    payment = own_payment(payment_id)
    card = (request.get_json(silent=True) or {}).get("card")
    if not isinstance(card, str) or not card.startswith(("card_", "pm_")) or len(card) > 255:
        return jsonify(error="invalid", message=_("The card could not be read. Please enter it again.")), 422
    try:
        status = checkout.pay_with_card(payment, card)
    except CardDeclined as err:
        return jsonify(error=err.code, message=_("The card was declined: %(why)s", why=err.message)), 402
    except PaymentUnavailable as err:
        return jsonify(error=err.code, message=error_text(err)), 503
    except core.SchedulingError as err:
        return jsonify(error="closed", message=error_text(err)), 409
    return jsonify(status=status, poll=url_for("patient.payment_status", payment_id=payment.id))


@bp.route("/payments/<int:payment_id>/status")
def payment_status(payment_id: int):
    payment = own_payment(payment_id)
    return jsonify(status=payment.status, appointment_status=payment.appointment.status, next=_next_page(payment))


@bp.route("/appointments/<int:appointment_id>/pay", methods=["POST"])
def pay_booked(appointment_id: int):
    """Pay online for a booked appointment where the hospital offers it (payment optional or required)."""
    appointment = own_appointment(appointment_id)
    if (appointment.status not in core.ACTIVE or not appointment.fee
            or not payment_settings.online(appointment.hospital_id)):
        abort(404)
    try:
        with transaction():
            payment = checkout.start_for_booked(current_user.id, appointment)
    except PaymentUnavailable as err:
        return render_template("patient/pay.html", payment=None, appointment=appointment, problem=error_text(err),
                               publishable_key="", stripe_js="", title=_("Pay for your appointment")), 503
    return redirect(url_for("patient.payment_page", payment_id=payment.id))
