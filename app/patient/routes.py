"""The patient's pages: My appointments, one appointment, its calendar file; data export and account deletion."""
import json

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_principal import AnonymousIdentity, identity_changed
from sqlalchemy import func, select

from app import scheduling as core
from app.auth.forms import DeleteAccountForm
from app.extensions import db
from app.models import Appointment, AuditEvent
from app.models.base import utcnow
from app.patient import bp
from app.patient.common import current_patient, own_appointment
from app.services import ratings
from app.services.accounts import profile as patient_profile
from app.services.booking import policy as booking_policy
from app.services.booking.ics import appointment_ics
from app.services.booking.lists import patient_appointments
from app.services.federation import booking as federation_booking
from app.services.payments import refunds as payment_refunds
from app.services.payments import settings as payment_settings
from app.transaction import transaction


@bp.route("/")
def home():
    patient = current_patient()
    upcoming, past = patient_appointments(patient)
    missing = [label for label, value in ((_("phone"), patient.phone), (_("date of birth"), patient.birth_date),
                                          (_("emergency contact"), patient.emergency_contact_name)) if not value]
    past = past[:10]
    return render_template("patient/home.html", patient=patient, upcoming=upcoming, past=past,
                           rated=ratings.rated_ids([a.id for a in past]), missing=missing,
                           may_change=booking_policy.may_change_online,
                           change_until=booking_policy.change_deadline,
                           partner_bookings=federation_booking.upcoming_for(patient), title=_("My appointments"))


@bp.route("/appointments/<int:appointment_id>")
def appointment(appointment_id: int):
    appointment = own_appointment(appointment_id)
    paid = payment_refunds.paid_payment(appointment.id)
    return render_template("patient/appointment.html", appointment=appointment, paid=paid,
                           may_pay_online=(paid is None and bool(appointment.fee) and appointment.status in core.ACTIVE
                                           and payment_settings.online(appointment.hospital_id)),
                           may_change=booking_policy.may_change_online(appointment),
                           cutoff=appointment.hospital.cancel_cutoff_hours, booked=request.args.get("booked") == "1",
                           title=_("Your appointment"))


def _sequence(appointment: Appointment) -> int:
    """How often the event changed since it was booked (iCalendar SEQUENCE)."""
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.target_type == "appointment", AuditEvent.target_id == appointment.id,
        AuditEvent.action.in_(("appointment.reschedule", "appointment.cancel")))) or 0


@bp.route("/appointments/<int:appointment_id>/calendar.ics")
def appointment_calendar(appointment_id: int):
    appointment = own_appointment(appointment_id)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("patient.appointment",
                                                                        appointment_id=appointment.id)
    body = appointment_ics(appointment, url=link, sequence=_sequence(appointment))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="waitless-appointment-{appointment.id}.ics"'})


@bp.route("/export")
def export():
    """All of the patient's own data as a JSON download."""
    patient = current_patient()
    data = patient_profile.export_data(current_user, patient)
    data.update(ratings.export_for(patient))  # their reviews, and what doctors recorded about their visits
    with transaction():
        patient_profile.record_export(current_user, patient)  # exports join the audit trail (docs/security.md)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="waitless-my-data-{utcnow():%Y-%m-%d}.json"',
        "Cache-Control": "no-store"})


@bp.route("/delete", methods=["GET", "POST"])
def delete_account():
    """Close the account: the person goes, the hospital's records of past visits stay, anonymised."""
    patient = current_patient()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            with transaction():
                photo = patient_profile.delete_account(current_user, patient, form.password.data)
        except patient_profile.ProfileError:
            form.password.errors.append(_("Your password is not correct."))
        else:
            patient_profile.remove_photo(photo)  # after the commit: a rollback must not lose the file
            logout_user()
            session.clear()
            identity_changed.send(current_app._get_current_object(), identity=AnonymousIdentity())
            flash(_("Your account is deleted. Past appointments stay with the hospitals, without your name."),
                  "info")
            return redirect(url_for("public.index"))
    upcoming, _past = patient_appointments(patient)
    return render_template("patient/delete.html", form=form, upcoming=upcoming, title=_("Delete my account")), \
        200 if not form.errors else 422

