"""The patient's waitlist: join (from search, a doctor page or an existing booking), see entries and offers, leave.

Each POST calls one app.services.waitlist operation and commits once; a core error is rolled back and shown beside
the field it names. Accepting an offer changes slots, so it announces them (app.realtime) after the commit.
"""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Doctor, Hospital, Offer, Specialty, WaitlistEntry
from app.models.base import utcnow
from app.offers.messages import closed_message
from app.patient import bp
from app.patient.common import current_patient, own_appointment
from app.patient.waitlist_forms import ButtonForm, JoinWaitlistForm
from app.services import waitlist
from app.services.availability.query import SearchError, cities, city_centre, resolve_specialty
from app.services.availability.views import local_today
from app.services.directory import choosable_doctor
from app.transaction import transaction
from app.web.words import error_text

DEFAULT_WAIT_DAYS = 28
DEFAULT_RADIUS_KM = 50
# where a WaitlistError's field shows on the form
FORM_FIELDS = {"specialty_id": "specialty", "doctor_id": "doctor", "hospital_ids": "hospitals", "near": "city",
               "times_of_day": "times_of_day", "appointment_type": "appointment_type", "hospital": "hospitals"}


def _choices(form: JoinWaitlistForm) -> None:
    specialties = db.session.scalars(select(Specialty).where(Specialty.active).order_by(Specialty.name))
    form.specialty.choices = [("", _("Choose a specialty"))] + [(str(s.id), _(s.name)) for s in specialties]
    doctors = sorted(db.session.scalars(select(Doctor).where(choosable_doctor())), key=lambda d: d.name)
    form.doctor.choices = [("", _("Any doctor"))] + [
        (str(d.id), f"{d.name} · {_(d.specialty.name)}" if d.specialty else d.name) for d in doctors]
    hospitals = db.session.scalars(select(Hospital).where(Hospital.active).order_by(Hospital.city, Hospital.name))
    form.hospitals.choices = [(h.id, f"{h.name} ({h.city})") for h in hospitals]
    form.city.choices = [("", _("No particular place"))] + [(c, c) for c in cities()]
    form.appointment_type.choices = [("", _("Any type")), ("new", _("New patient")), ("follow_up", _("Follow-up"))]


def _prefill(form: JoinWaitlistForm, current: Appointment | None) -> None:
    """Carry what the patient searched for (or the booking they want earlier) into the form."""
    args = request.args
    specialty_id = None
    try:
        specialty_id = resolve_specialty(args.get("specialty"))
    except SearchError:
        pass
    doctor = db.session.get(Doctor, args.get("doctor", type=int) or 0)
    hospital_ids = [h for h in args.getlist("hospital", type=int) if db.session.get(Hospital, h) is not None]
    today = utcnow().date()
    latest = _date(args.get("latest")) or _date(args.get("to"))
    if current is not None:  # any doctor of the same specialty at the same hospital, earlier than the booking
        doctor = None
        specialty_id = current.doctor.specialty_id if current.doctor else specialty_id
        hospital_ids = [current.hospital_id]
        latest = core.local_day(current.start, ZoneInfo(current.hospital.timezone)) - timedelta(days=1)
        form.current_appointment.data = str(current.id)
        form.appointment_type.data = current.appointment_type
        form.urgency.data = current.urgency
    if doctor is not None and doctor.active:
        form.doctor.data = str(doctor.id)
        specialty_id = specialty_id or doctor.specialty_id
    form.specialty.data = str(specialty_id) if specialty_id else ""
    form.hospitals.data = hospital_ids
    if (args.get("city") or "") in cities():
        form.city.data = args["city"]
    form.lat.data, form.lon.data = args.get("lat", ""), args.get("lon", "")
    if args.get("near") and "," in args["near"]:
        form.lat.data, form.lon.data = (part.strip() for part in args["near"].split(",", 1))
    form.radius_km.data = args.get("radius_km", type=int) or (
        DEFAULT_RADIUS_KM if form.city.data or form.lat.data else None)
    form.latest.data = latest if latest and latest >= today else today + timedelta(days=DEFAULT_WAIT_DAYS)
    if current is None:
        form.urgency.data = "urgent" if args.get("urgency") == "urgent" else "routine"
        form.appointment_type.data = args.get("appointment_type") or ""
    form.times_of_day.data = [t for t in args.getlist("time") if t in ("morning", "afternoon", "evening")]


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _place(form: JoinWaitlistForm) -> tuple[float, float] | None:
    """Where the radius is measured from: the browser's location, else the chosen city's centre."""
    try:
        if form.lat.data and form.lon.data:
            return float(form.lat.data), float(form.lon.data)
        if form.city.data:
            return city_centre(form.city.data)
    except (ValueError, SearchError):
        form.city.errors = [*form.city.errors, _("This place could not be read; choose a city instead.")]
    return None


def _wish(form: JoinWaitlistForm) -> waitlist.Wish | None:
    """The form's wish, or None when a field is wrong (the error is on the field)."""
    doctor = db.session.get(Doctor, int(form.doctor.data)) if (form.doctor.data or "").isdigit() else None
    specialty_id = int(form.specialty.data) if (form.specialty.data or "").isdigit() else None
    if doctor is not None:
        specialty_id = doctor.specialty_id  # the doctor decides the specialty, whatever the list said
    elif specialty_id is None:
        form.specialty.errors = [*form.specialty.errors, _("Choose a specialty or a particular doctor.")]
    near = _place(form)
    radius = form.radius_km.data
    if near is not None and radius is None:
        radius = DEFAULT_RADIUS_KM
    if near is None and radius is not None and not form.city.errors:
        form.city.errors = [*form.city.errors, _("A radius needs a place: choose a city.")]
    if any(field.errors for field in form):
        return None
    return waitlist.Wish(specialty_id=specialty_id, doctor_id=doctor.id if doctor else None,
                         hospital_ids=tuple(form.hospitals.data or ()), near=near,
                         radius_km=radius if near is not None else None, latest=form.latest.data,
                         urgency=form.urgency.data if form.urgency.data in ("routine", "urgent") else "routine",
                         times_of_day=tuple(form.times_of_day.data or ()),
                         appointment_type=form.appointment_type.data or None)


def _show_error(form: JoinWaitlistForm, err: core.SchedulingError) -> None:
    field = getattr(form, FORM_FIELDS.get(err.field or "", err.field or ""), None)
    if field is None or field.name in ("csrf_token", "submit", "current_appointment"):
        form.form_errors.append(error_text(err))
    else:
        field.errors = [*field.errors, error_text(err)]


@bp.route("/waitlist/new", methods=["GET", "POST"])
def waitlist_new():
    patient = current_patient()
    form = JoinWaitlistForm()
    _choices(form)
    current_id = request.values.get("appointment", type=int) or (
        int(form.current_appointment.data) if (form.current_appointment.data or "").isdigit() else None)
    current = own_appointment(current_id) if current_id else None
    if not form.is_submitted():
        _prefill(form, current)
    status = 200
    wish = None
    if form.is_submitted():
        form.validate()  # the fields' own errors; _wish adds the cross-field ones, so all show at once
        wish = _wish(form)
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            form.form_errors.append(_("The form had expired. Please check it and send it again."))
    if wish is not None:
        try:
            with transaction():
                entry = waitlist.join(current_user.id, patient, wish, current_appointment=current)
        except core.SchedulingError as err:
            _show_error(form, err)
            status = err.http_status
        else:
            flash(_("You are on the waitlist until %(day)s. We e-mail you as soon as a slot opens.",
                    day=format_date(entry.latest, "d MMM yyyy")), "success")
            return redirect(url_for("patient.waitlist"))
    elif form.is_submitted():
        status = 422
    return render_template("patient/waitlist_new.html", form=form, current=current,
                           today=local_today(current.hospital.timezone) if current else utcnow().date(),
                           title=_("Join the waitlist")), status


@bp.route("/waitlist", endpoint="waitlist")  # the public search offers this endpoint on an empty result
def waitlist_page():
    patient = current_patient()
    entries = waitlist.entries_for(patient)
    offers = {entry.id: waitlist.open_offers(entry) for entry in entries}
    names = dict(db.session.execute(select(Hospital.id, Hospital.name)).all())

    def hospital_names(entry: WaitlistEntry) -> list[str]:
        return [names[int(i)] for i in entry.hospital_ids.split(",") if i.isdigit() and int(i) in names]

    return render_template("patient/waitlist.html", entries=entries, offers=offers, form=ButtonForm(),
                           hospital_names=hospital_names, title=_("My waitlist"))


def _own_entry(entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.patient_id != current_patient().id:
        abort(404)
    return entry


def _own_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.entry.patient_id != current_patient().id:
        abort(404)
    return offer


@bp.route("/waitlist/<int:entry_id>/leave", methods=["POST"])
def waitlist_leave(entry_id: int):
    entry = _own_entry(entry_id)
    if ButtonForm().validate_on_submit():
        try:
            with transaction():
                waitlist.leave(current_user.id, entry)
        except core.SchedulingError as err:
            flash(error_text(err), "danger")
        else:
            flash(_("You left the waitlist."), "success")
    return redirect(url_for("patient.waitlist"))


@bp.route("/waitlist/offers/<int:offer_id>/<any(accept, decline):answer>", methods=["POST"])
def waitlist_answer(offer_id: int, answer: str):
    offer = _own_offer(offer_id)
    patient = current_patient()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with transaction():
            if answer == "accept":
                appointment = waitlist.accept(current_user.id, offer, patient)
            else:
                waitlist.decline(current_user.id, offer, patient)
    except LookupError:
        abort(404)
    except core.SchedulingError as err:
        flash(closed_message(offer, err), "warning")
        return redirect(url_for("patient.waitlist"))
    if answer == "decline":
        flash(_("You declined the offer. You stay on the waitlist."), "info")
        return redirect(url_for("patient.waitlist"))
    flash(_("The earlier slot is yours."), "success")
    return redirect(url_for("patient.appointment", appointment_id=appointment.id, booked=1))

