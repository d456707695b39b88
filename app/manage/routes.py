"""Views of the manage link. Each change goes through app.services.booking, commits once, then announces the slot
change (app.realtime). The audit actor is None: nobody is logged in; the comment says it came via the link."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db, limiter
from app.manage import bp
from app.models import Appointment, AppointmentType
from app.notifications import events
from app.public.slot_board import doctor_board
from app.scheduling.codes import Status
from app.services import booking
from app.services.availability.views import local_today
from app.services.booking import policy as booking_policy
from app.transaction import transaction
from app.web.booking_forms import CancelForm, PickSlotForm, parse_start, submit_change
from app.web.words import error_text

AUDIT_COMMENT = "via manage link"
RESCHEDULE_DAYS = 14
LIMIT = "60 per minute"  # guessing tokens is hopeless anyway; this keeps scanners from hammering the booking code


def _open(token: str):
    """The appointment, or the page that says why the link no longer works (400 tampered, 410 moved/over)."""
    try:
        return events.read_manage_token(token), None
    except events.ManageLinkError as err:
        messages = {
            "invalid": _("This link is not valid. Please use the link from your latest e-mail or text message, "
                         "exactly as it was sent."),
            "expired": _("This link has expired: the appointment is over."),
            "moved": _("This appointment has been moved since this link was sent. Please use the link from the "
                       "latest message about it."),
            "gone": _("This appointment no longer exists."),
        }
        return None, (render_template("manage/invalid.html", message=messages[err.reason], reason=err.reason,
                                      title=_("This link does not work")), err.status)


def _too_late(token: str, appointment: Appointment):
    if appointment.status != Status.SCHEDULED:
        message = _("This appointment is %(status)s and cannot be changed.",
                    status=_(appointment.status.replace("_", " ")))
    else:
        message = _("Appointments can be cancelled or moved online until %(hours)s hours before they start. "
                    "Please call the hospital.", hours=appointment.hospital.cancel_cutoff_hours)
    return render_template("manage/page.html", appointment=appointment, token=token, may_change=False,
                           notice=message, title=_("Your appointment")), 409


@bp.route("/<token>")
@limiter.limit(LIMIT)
def page(token: str):
    appointment, refused = _open(token)
    if refused:
        return refused
    return render_template("manage/page.html", appointment=appointment, token=token,
                           may_change=booking_policy.may_change_online(appointment),
                           on_leave=booking_policy.doctor_time_withdrawn(appointment),
                           cutoff=appointment.hospital.cancel_cutoff_hours, title=_("Your appointment"))


@bp.route("/<token>/cancel", methods=["GET", "POST"])
@limiter.limit(LIMIT)
def cancel(token: str):
    appointment, refused = _open(token)
    if refused:
        return refused
    if not booking_policy.may_change_online(appointment):
        return _too_late(token, appointment)
    form = CancelForm()

    def change():
        with events.by_patient():  # no login: actor None, but the messages say the patient asked for it
            booking.cancel(None, appointment, form.reason.data.strip(), comment=AUDIT_COMMENT, by_patient=True)

    status = submit_change(form, change)
    if status is None:
        flash(_("Your appointment is cancelled. The time is offered to other patients."), "success")
        return redirect(url_for("manage.page", token=token))
    return render_template("manage/cancel.html", appointment=appointment, token=token, form=form,
                           title=_("Cancel the appointment")), status


def _type_code(appointment: Appointment) -> str | None:
    return appointment.appointment_type if db.session.scalar(select(AppointmentType.id).where(
        AppointmentType.hospital_id == appointment.hospital_id, AppointmentType.active,
        AppointmentType.code == appointment.appointment_type)) else None


@bp.route("/<token>/reschedule", methods=["GET", "POST"])
@limiter.limit(LIMIT)
def reschedule(token: str):
    appointment, refused = _open(token)
    if refused:
        return refused
    if not booking_policy.may_change_online(appointment):
        return _too_late(token, appointment)
    hospital, doctor = appointment.hospital, appointment.doctor
    form = PickSlotForm()
    error, status = None, 200
    if form.validate_on_submit():
        start = parse_start(form.start.data, hospital.timezone)
        try:
            with transaction():
                if start is None:
                    raise core.OutsideHours(_("Choose a time."), "start")
                with events.by_patient():
                    booking.reschedule(None, appointment, start, comment=AUDIT_COMMENT, by_patient=True)
        except core.SchedulingError as err:
            error, status = _("This time cannot be booked: %(why)s Please choose another.", why=error_text(err)), \
                err.http_status
        else:
            flash(_("Your appointment is moved. This page has a new address: the old link no longer works."),
                  "success")
            return redirect(url_for("manage.page", token=events.manage_token(appointment)))
    elif form.is_submitted():
        error, status = _("Choose a time."), 422
    db.session.refresh(appointment)
    days = doctor_board(doctor, hospital, local_today(hospital.timezone), RESCHEDULE_DAYS, _type_code(appointment),
                        appointment.urgency)
    return render_template("manage/reschedule.html", appointment=appointment, token=token, days=days, error=error,
                           board_days=RESCHEDULE_DAYS, title=_("Move the appointment")), status
