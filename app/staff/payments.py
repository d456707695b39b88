"""The desk and money (docs/payments.md, "At the desk"): record a cash or card-terminal payment, and refund with a
reason (the override of the cancellation policy). Another hospital's appointment is a 404."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from app import scheduling as core
from app.extensions import db
from app.forms import SafeForm
from app.models import Appointment, Payment
from app.services.payments import PaymentUnavailable, desk, policy, refunds
from app.staff import bp
from app.transaction import transaction
from app.web.words import error_text


class DeskPaymentForm(SafeForm):
    method = SelectField(_l("Paid by"), choices=[("cash", _l("Cash")), ("terminal", _l("Card terminal"))],
                         validators=[InputRequired()])
    submit = SubmitField(_l("Record payment"))


class RefundForm(SafeForm):
    payment_id = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason for the refund"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Refund in full"))


def _appointment(appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.patient_id is None or not policy.may_take_payments(
            current_user, appointment.hospital_id):
        abort(404)
    return appointment


def _page(appointment: Appointment, pay_form: DeskPaymentForm, refund_form: RefundForm, status: int = 200):
    payments = db.session.scalars(select(Payment).where(Payment.appointment_id == appointment.id)
                                  .order_by(Payment.id)).all()
    paid = any(p.status == "paid" for p in payments)
    return render_template("staff/payments.html", appointment=appointment, payments=payments, paid=paid,
                           pay_form=pay_form, refund_form=refund_form, title=_("Payment")), status


@bp.route("/appointments/<int:appointment_id>/payments", methods=["GET", "POST"])
def appointment_payments(appointment_id: int):
    appointment = _appointment(appointment_id)
    pay_form = DeskPaymentForm(prefix="pay")
    refund_form = RefundForm(prefix="refund")
    if pay_form.submit.data and pay_form.validate_on_submit():
        try:
            with transaction():
                desk.record(current_user.id, appointment, pay_form.method.data)
        except core.SchedulingError as err:
            pay_form.form_errors.append(error_text(err))
            return _page(appointment, pay_form, refund_form, 409)
        flash(_("Payment recorded. The receipt is on its way by e-mail."), "success")
        return redirect(url_for("staff.appointment_payments", appointment_id=appointment.id))
    if refund_form.submit.data and refund_form.validate_on_submit():
        payment = db.session.get(Payment, int(refund_form.payment_id.data)) \
            if refund_form.payment_id.data.isdigit() else None
        if payment is None or payment.appointment_id != appointment.id:
            abort(404)
        try:
            with transaction():
                refunds.refund(current_user.id, payment, refund_form.reason.data)
        except (PaymentUnavailable, core.SchedulingError) as err:
            refund_form.form_errors.append(error_text(err))
            return _page(appointment, pay_form, refund_form, err.http_status)
        flash(_("Refunded."), "success")
        return redirect(url_for("staff.appointment_payments", appointment_id=appointment.id))
    return _page(appointment, pay_form, refund_form, 422 if pay_form.errors or refund_form.errors else 200)
