"""A patient books another system's slot (docs/federation.md, "Booking").

The source is asked first ($hold, then $book) outside any transaction; only its confirmation is written here. A
refusal removes the slot at once and shows the alternatives; a source that cannot be reached leaves everything as
it was. A source without booking operations sends the patient to its own booking page (the slot's deep link).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from app.extensions import db
from app.forms import SafeForm
from app.models import ExternalBooking, Specialty
from app.models.base import utcnow
from app.patient import bp
from app.patient.common import current_patient
from app.services.federation import SourceError
from app.services.federation import booking as federation_booking
from app.services.federation import slots as federation_slots
from app.transaction import transaction


class ExternalBookForm(SafeForm):
    submit = SubmitField(_l("Book with this hospital"))


def _alternatives(specialty_code: str | None, specialty_name: str | None, skip: int) -> tuple[list, int | None]:
    """Other live external slots of the same specialty, and our own specialty's id for a local search."""
    specialty = db.session.scalar(db.select(Specialty).where(db.or_(
        db.func.lower(Specialty.code) == (specialty_code or "").lower(),
        db.func.lower(Specialty.name) == (specialty_name or "").lower())).limit(1))
    if specialty is None:
        return [], None
    return [x for x in federation_slots.for_specialty(specialty.id, limit=10) if x.slot.id != skip], specialty.id


def _gone(specialty_code, specialty_name, slot_id: int, message: str):
    external, specialty_id = _alternatives(specialty_code, specialty_name, slot_id)
    return render_template("federation/gone.html", message=message, external=external, specialty_id=specialty_id,
                           title=_("This appointment is no longer available")), 409


@bp.route("/external/<int:slot_id>", methods=["GET", "POST"])
def external_slot(slot_id: int):
    patient = current_patient()
    slot = federation_slots.live(slot_id)
    if slot is None:
        abort(404)
    form = ExternalBookForm()
    source = slot.source
    age = int((utcnow() - slot.fetched_at).total_seconds() // 60)
    if form.validate_on_submit():
        with transaction():  # read, then ended: no transaction stays open while the source is asked
            target = federation_booking.target(slot)
            code, name = slot.specialty_code, slot.specialty_name
        if not target.bookable:
            if target.deep_link:
                return redirect(target.deep_link)
            flash(_("%(source)s cannot be booked from here.", source=target.source_name), "warning")
            return redirect(url_for("patient.external_slot", slot_id=slot_id))
        try:
            remote_id = federation_booking.reserve(target)
        except federation_booking.RefusedError as err:
            with transaction():
                federation_booking.vanish(slot_id)
            return _gone(code, name, slot_id, _("%(source)s could not book this appointment: %(reason)s",
                                                source=target.source_name,
                                                reason=err.message))
        except SourceError:
            flash(_("The partner hospital did not answer. Nothing was booked; please try again."), "warning")
            return redirect(url_for("patient.external_slot", slot_id=slot_id))
        with transaction():
            made = federation_booking.record(target, patient, remote_id)
            made_id = made.id
        flash(_("Booked. The partner hospital confirmed your appointment."), "success")
        return redirect(url_for("patient.external_booking", booking_id=made_id))
    return render_template("federation/book.html", slot=slot, source=source, age=age, form=form,
                           title=_("Book at a partner hospital"))


@bp.route("/external/bookings/<int:booking_id>")
def external_booking(booking_id: int):
    made = db.session.get(ExternalBooking, booking_id)
    if made is None or made.patient_id != current_patient().id:
        abort(404)  # another patient's booking looks like none
    return render_template("federation/booked.html", booking=made, title=_("Your appointment at a partner hospital"))
