"""The desk's waitlist pages: the ranked candidates for a slot freed at the desk, and the hospital's waiting list.

"Offer" and "Book by phone" each call one app.services.waitlist operation and commit once, then announce the slot
change. Everything is scoped to the desk's hospitals: a slot or entry elsewhere answers 404.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Offer, WaitlistEntry
from app.models.base import utcnow
from app.scheduling.codes import WaitStatus
from app.scheduling.geo import distance_km
from app.security import get_scoped_or_404
from app.services import waitlist as waitlist_service
from app.services.directory import choosable_doctor
from app.staff import bp
from app.transaction import transaction
from app.web.booking_forms import local_when
from app.web.words import error_text


def _freed(appointment_id: int) -> Appointment:
    """The appointment whose time was freed, at one of the desk's hospitals."""
    appointment = get_scoped_or_404(Appointment, appointment_id)
    if appointment.doctor_id is None:
        abort(404)  # a room booking: nobody waits for a theatre slot
    return appointment


def _offers_on_slot(appointment: Appointment) -> list[Offer]:
    """Offers already made for this time (the automatic ones after the cancellation, and the desk's)."""
    return list(db.session.scalars(
        select(Offer).join(Appointment, Offer.hold_id == Appointment.id)
        .where(Appointment.doctor_id == appointment.doctor_id, Appointment.hospital_id == appointment.hospital_id,
               Appointment.start == appointment.start)
        .options(selectinload(Offer.entry).selectinload(WaitlistEntry.patient)).order_by(Offer.created_at)))


def after_cancel_url(appointment: Appointment) -> str | None:
    """Where the desk goes after cancelling: the candidates page when someone waits for (or was offered) the time."""
    if appointment.doctor_id is None or appointment.start <= utcnow():
        return None
    if _offers_on_slot(appointment) or waitlist_service.candidates_for_slot(
            appointment.hospital_id, appointment.doctor_id, appointment.start, appointment.end, limit=1):
        return url_for("staff.waitlist_candidates", appointment_id=appointment.id)
    return None


@bp.route("/appointments/<int:appointment_id>/waitlist")
def waitlist_candidates(appointment_id: int):
    appointment = _freed(appointment_id)
    past = appointment.start <= utcnow()
    candidates = [] if past else waitlist_service.candidates_for_slot(
        appointment.hospital_id, appointment.doctor_id, appointment.start, appointment.end)
    offers = _offers_on_slot(appointment)
    offered = {o.entry_id: o for o in offers}
    names = {h.id: h.name for h in db.session.scalars(select(Hospital))}
    return render_template("staff/waitlist_candidates.html", appointment=appointment, candidates=candidates,
                           offers=offers, offered=offered, past=past, now=utcnow(), names=names,
                           title=_("Waiting patients for this slot"))


def _waiting_entry(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.status != WaitStatus.WAITING:
        abort(404)
    return entry


@bp.route("/appointments/<int:appointment_id>/waitlist/<int:entry_id>/<any(offer, book):action>",
          methods=["POST"])
def waitlist_act(appointment_id: int, entry_id: int, action: str):
    appointment = _freed(appointment_id)
    entry = _waiting_entry(entry_id)
    back = url_for("staff.waitlist_candidates", appointment_id=appointment.id)
    try:
        with transaction():
            if action == "offer":
                made = waitlist_service.offer_slot(current_user.id, appointment.hospital_id, appointment.doctor_id,
                                           appointment.start, appointment.end, entries=[entry])
            else:
                booked = waitlist_service.book_candidate(current_user.id, entry, appointment.doctor_id,
                                                         appointment.start)
    except LookupError:
        abort(404)
    except core.SchedulingError as err:
        flash(error_text(err), "danger")
        return redirect(back)
    if action == "offer":
        until = local_when(made[0].expires_at, appointment.hospital) if made else ""
        flash(_("The slot is offered to %(patient)s and held until %(until)s.", patient=entry.patient.name,
                until=until), "success")
        return redirect(back)
    flash(_("%(patient)s is booked with %(doctor)s on %(when)s.", patient=entry.patient.name,
            doctor=appointment.doctor.name, when=local_when(booked.start, appointment.hospital)), "success")
    return redirect(url_for("staff.patient", patient_id=entry.patient_id))


def _serves(entry: WaitlistEntry, hospitals: list[Hospital], doctor_ids: set[int], specialty_ids: set[int]) -> bool:
    """Whether a waiting entry could be served by one of these hospitals."""
    wanted = {int(i) for i in entry.hospital_ids.split(",") if i.isdigit()}
    if wanted and not wanted & {h.id for h in hospitals}:
        return False
    if entry.doctor_id is not None:
        return entry.doctor_id in doctor_ids
    if entry.specialty_id not in specialty_ids:
        return False
    if entry.near_lat is not None and entry.near_lon is not None and entry.radius_km:
        return any(distance_km((entry.near_lat, entry.near_lon), (h.lat, h.lon)) <= entry.radius_km
                   for h in hospitals)
    return True


@bp.route("/waitlist", endpoint="waitlist")
def waiting_list():
    hospitals = list(db.session.scalars(select(Hospital).where(Hospital.id.in_(current_user.hospital_ids))))
    doctors = list(db.session.scalars(select(Doctor).where(
        choosable_doctor(), Doctor.hospitals.any(Hospital.id.in_(current_user.hospital_ids)))))
    doctor_ids, specialty_ids = {d.id for d in doctors}, {d.specialty_id for d in doctors}
    rows = db.session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.status == WaitStatus.WAITING)
        .options(selectinload(WaitlistEntry.patient), selectinload(WaitlistEntry.offers))
        .order_by(WaitlistEntry.urgency.desc(), WaitlistEntry.created_at))
    entries = [e for e in rows if _serves(e, hospitals, doctor_ids, specialty_ids)]
    names = {h.id: h.name for h in db.session.scalars(select(Hospital))}
    return render_template("staff/waitlist.html", entries=entries, hospitals=hospitals, names=names, now=utcnow(),
                           title=_("Waitlist"))
