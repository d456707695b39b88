"""A hospital's payment settings (docs/payments.md, "Settings"): off, optional, or required at booking for the
appointment types the admin ticks."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from app.admin import bp
from app.admin.routes import form_page
from app.extensions import db
from app.forms import SafeForm
from app.models import AppointmentType, Hospital
from app.security import get_scoped_or_404
from app.services.payments import settings as payment_settings
from app.transaction import transaction

MODE_LABELS = {"off": _l("Off: fees are paid at the hospital"),
               "optional": _l("Optional: patients may pay online"),
               "required": _l("Required at booking for the types below")}


class PaymentSettingsForm(SafeForm):
    mode = SelectField(_l("Online payment"), choices=list(MODE_LABELS.items()), validators=[InputRequired()])
    paid_types = SelectMultipleField(_l("Types paid at booking"), widget=ListWidget(prefix_label=False),
                                     option_widget=CheckboxInput(), validate_choice=True)
    hold_minutes = IntegerField(_l("Minutes the slot waits for the payment"),
                                validators=[InputRequired(), NumberRange(min=5, max=60)])
    desk_allowed = BooleanField(_l("Patients may pay at the desk instead when online payment is down"))
    submit = SubmitField(_l("Save"))


@bp.route("/hospitals/<int:hospital_id>/payments", methods=["GET", "POST"])
def hospital_payments(hospital_id: int):
    hospital = get_scoped_or_404(Hospital, hospital_id, hospital_of=lambda h: h.id)
    row = payment_settings.settings_of(hospital.id)
    form = PaymentSettingsForm(data={"mode": row.mode, "paid_types": sorted(row.type_codes()),
                                     "hold_minutes": row.hold_minutes, "desk_allowed": row.desk_allowed})
    form.paid_types.choices = [(t.code, t.name) for t in db.session.scalars(select(AppointmentType).where(
        AppointmentType.hospital_id == hospital.id, AppointmentType.active).order_by(AppointmentType.name))]
    back = url_for("admin.hospital", hospital_id=hospital.id)
    if form.validate_on_submit():
        with transaction():
            payment_settings.save(current_user.id, hospital, mode=form.mode.data, type_codes=form.paid_types.data,
                                  hold_minutes=form.hold_minutes.data, desk_allowed=form.desk_allowed.data)
        flash(_("Payment settings saved."), "success")
        return redirect(back)
    return form_page(form, _("Payments at %(hospital)s", hospital=hospital.name), back,
                     intro=_("Online payments go through Stripe. Fees are the appointment types' own."))
