"""Booking a room (an elective case, or a manager's emergency) and cancelling a booking, from the room's day.

Views stay thin: app.services.locations decides what may be booked and displaces elective cases for an emergency;
here its errors become form errors on the day page, and the owners of displaced bookings are e-mailed after the
commit.
"""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app import scheduling as core
from app.extensions import db
from app.locations import bp
from app.locations.routes import booking_form, render_day, require_access, room_or_404
from app.models import Appointment, Doctor, Patient
from app.models.base import utcnow
from app.scheduling.codes import Kind
from app.services import booking, locations
from app.templating import local_time
from app.transaction import transaction
from app.web.words import error_text

log = logging.getLogger(__name__)

CANCEL_REASON = "Cancelled from the room's day view"
# the service names the field an error concerns; the form calls the start's time field start_time
FORM_FIELDS = {"start": "start_time", "minutes": "minutes", "doctor_id": "doctor_id", "patient_id": "patient_id",
               "reason": "reason"}


@bp.route("/<int:room_id>/bookings", methods=["POST"])
def book(room_id: int):
    room = room_or_404(room_id)
    access = require_access(room, "manager", "booker")
    if access != "manager" and request.form.get("emergency"):
        abort(403)  # a booker asking for an emergency must not silently get an elective booking
    tz = ZoneInfo(room.hospital.timezone)
    form = booking_form(room, access)
    if not form.validate_on_submit():
        return render_day(room, form.day.data or core.local_day(utcnow(), tz), access, form, 422)
    start = core.to_utc(form.day.data, form.start_time.data, tz)
    doctor = db.session.get(Doctor, form.doctor_id.data) if form.doctor_id.data else None
    patient = db.session.get(Patient, form.patient_id.data) if form.patient_id.data else None
    emergency = access == "manager" and form.emergency.data
    try:
        with transaction():
            result = locations.book_location(current_user._get_current_object(), room, start, form.minutes.data,
                                             doctor=doctor, patient=patient,
                                             reason=(form.reason.data or "").strip(), emergency=emergency)
    except core.SchedulingError as err:
        field = getattr(form, FORM_FIELDS.get(err.field or "", ""), None)
        # the core speaks English; a catalogue entry for the message translates it
        message = error_text(err)
        if isinstance(err, core.OutsideHours) and err.field == "start" and not emergency:
            message += " " + _("Elective cases must start on a slot of a published session; "
                               "the day list shows the first free one.")
        (field.errors if field is not None else form.form_errors).append(message)
        return render_day(room, form.day.data, access, form, err.http_status)
    when = local_time(start, room.hospital.timezone)
    if emergency:
        message = _("Emergency booked in %(room)s on %(when)s for %(minutes)d minutes.", room=room.name,
                    when=when, minutes=form.minutes.data)
    else:
        message = _("Booked %(room)s on %(when)s for %(minutes)d minutes.", room=room.name, when=when,
                    minutes=form.minutes.data)
    if result.displaced:
        message += " " + ngettext("%(num)d elective booking was displaced and its owners were told.",
                                  "%(num)d elective bookings were displaced and their owners were told.",
                                  len(result.displaced))
    flash(message, "warning" if result.displaced else "success")
    return redirect(url_for(".room", room_id=room.id, day=form.day.data.isoformat()))


@bp.route("/<int:room_id>/bookings/<int:appointment_id>/cancel", methods=["POST"])
def cancel(room_id: int, appointment_id: int):
    room = room_or_404(room_id)
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.room_id != room.id or appointment.kind != Kind.LOCATION:
        abort(404)
    access = require_access(room, "manager", "booker")
    if access != "manager" and appointment.booked_by_id != current_user.id:
        abort(403)
    day = core.local_day(appointment.start, ZoneInfo(room.hospital.timezone))
    try:
        with transaction():
            booking.cancel(current_user.id, appointment, CANCEL_REASON)
    except core.SchedulingError as err:
        flash(error_text(err), "danger")
    else:
        flash(_("The booking was cancelled; the room is free again at that time."), "success")
    return redirect(url_for(".room", room_id=room.id, day=day.isoformat()))
