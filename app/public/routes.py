"""Pages anyone can see: the start page, the slot search, doctors and the region's hospitals."""
from datetime import timedelta

from babel import Locale, UnknownLocaleError
from flask import abort, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Doctor, Hospital, Specialty, doctor_hospitals
from app.models.base import utcnow
from app.public import bp
from app.public.forms import SearchForm
from app.public.slot_board import (
    by_day,
    doctor_board,
    fee_of,
    load_doctors,
    load_hospitals,
    next_available,
    price_list,
    result_views,
    type_fees,
)
from app.replica import read_replica
from app.services import ratings
from app.services.accounts.profile import upload_root
from app.services.availability import bestfit
from app.services.availability.query import DEFAULT_DAYS, MAX_RADIUS_KM, SearchError, parse_slot_request
from app.services.availability.search import search_slots
from app.services.availability.views import local_today
from app.services.booking import policy as booking_policy
from app.services.directory import choices
from app.services.directory.people import DOCTOR_PHOTO_DIR
from app.services.federation import slots as federation_slots
from app.templating import home_url_for
from app.web.words import error_text

BOARD_DAYS = 7
PLACE_ARGS = ("city", "lat", "lon", "near")
# where a SearchError's field shows on the form
BEST_SHOWN = 5  # "best for you" picks: the day lists below still hold every slot
FORM_FIELDS = {"from": "first_day", "to": "last_day", "near": "city", "lat": "city", "lon": "city",
               "limit": "last_day"}


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own whatever the page links; a 404 there is a console error on every
    page (issue #13, part 8). The pages link static/favicon.svg; scripts/make-favicon draws this .ico from it."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)


@bp.route("/")
def index():
    if current_user.is_authenticated and not booking_policy.is_patient(current_user):
        return redirect(home_url_for(current_user))  # staff start at their own home page
    specialties = db.session.scalars(select(Specialty).where(Specialty.active).order_by(Specialty.name)).all()
    counts = dict(db.session.execute(
        select(Doctor.specialty_id, func.count(Doctor.id)).where(Doctor.active).group_by(Doctor.specialty_id)).all())
    hospitals = db.session.scalars(select(Hospital).where(Hospital.active).order_by(Hospital.country, Hospital.city)
                                   .limit(12)).all()
    form = _search_form(None)
    return render_template("public/index.html", specialties=specialties, counts=counts, hospitals=hospitals,
                           form=form)


# --- search ---

def _language_name(code: str) -> str:
    try:
        name = Locale.parse(code).get_display_name(str(get_locale()))
    except (ValueError, UnknownLocaleError):
        return code.upper()
    return name[:1].upper() + name[1:] if name else code.upper()


def _doctor_choices(specialty: str | None, hospital: str | None, chosen: str | None) -> list[tuple[str, str]]:
    """Doctors of the chosen specialty or hospital (search.js refreshes the list when the specialty changes)."""
    if specialty and specialty.isdigit():
        doctors = choices.doctors(specialty_id=int(specialty))
    elif hospital and hospital.isdigit():
        doctors = choices.doctors(hospital_id=int(hospital))
    elif chosen and chosen.isdigit():
        doctors = choices.doctors(doctor_id=int(chosen))
    else:
        doctors = []
    return [("", _("Any doctor"))] + [(str(ident), name) for ident, name in doctors]


def _search_form(args) -> SearchForm:
    today = utcnow().date()
    form = SearchForm(args or None, data={"first_day": today, "last_day": today + timedelta(days=DEFAULT_DAYS - 1)})
    form.specialty.choices = [("", _("Choose a specialty"))] + [(str(i), _(n)) for i, n in choices.specialties()]
    form.city.choices = [("", _("Anywhere in the region"))] + [(c, c) for c in choices.cities()]
    form.hospital.choices = [("", _("Any hospital"))] + [(str(i), f"{n} ({c})") for i, n, c in choices.hospitals()]
    args = args or {}
    form.doctor.choices = _doctor_choices(args.get("specialty"), args.get("hospital"), args.get("doctor"))
    form.appointment_type.choices = [("", _("Any type")), ("new", _("New patient")), ("follow_up", _("Follow-up"))]
    form.language.choices = [("", _("Any language"))] + [(c, _language_name(c)) for c in choices.languages()]
    return form


def _query_args(args) -> dict[str, str]:
    """The request's search arguments; the radius only counts once a place is given."""
    values = {k: v for k, v in args.items() if k != "submit"}
    if not any((values.get(k) or "").strip() for k in PLACE_ARGS):
        values.pop("radius_km", None)
    return values


def _suggestions(args: dict[str, str], query) -> dict[str, str]:
    """Links for an empty result: a wider radius, later dates."""
    links = {}
    if query.near is not None and query.radius_km is not None and query.radius_km < MAX_RADIUS_KM:
        wider = min(MAX_RADIUS_KM, max(int(query.radius_km) * 2, int(query.radius_km) + 25))
        links["wider"] = url_for("public.search", **dict(args, radius_km=wider))
        links["wider_km"] = wider
    later_from = query.last_day + timedelta(days=1)
    links["later"] = url_for("public.search", **{**args, "from": later_from.isoformat(),
                                                 "to": (later_from + timedelta(days=27)).isoformat()})
    return links


def _waitlist_url() -> str | None:
    """The waitlist page, once another part of the portal provides one; never a dead link."""
    for endpoint in ("patient.waitlist", "waitlist.index", "public.waitlist"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return None


@bp.route("/search")
@read_replica
def search():
    args = request.args
    form = _search_form(args)
    searched = any((args.get(k) or "").strip() for k in ("specialty", "hospital", "doctor", "city", "from"))
    status, days, first_slots, query, suggestions, external, best = 200, [], [], None, {}, [], []
    doctors, hospitals = {}, {}
    if searched:
        values = _query_args(args)
        try:
            query = parse_slot_request(values, utcnow().date())
            if query.first_day < utcnow().date() - timedelta(days=1):
                raise SearchError(_("'From' cannot be in the past."), "from")
            sort = bestfit.parse_sort(args.get("sort"))
            times = bestfit.parse_times(args.get("times"))
            results = search_slots(query)
        except SearchError as err:
            field = getattr(form, FORM_FIELDS.get(err.field, err.field), None) or form.specialty
            field.errors = [*field.errors, error_text(err)]
            status, query = 422, None
        else:
            doctors = load_doctors({r.doctor_id for r in results})
            hospitals = load_hospitals({r.hospital_id for r in results})
            views = result_views(results, doctors, hospitals)
            days, first_slots = by_day(views), next_available(views)
            external = federation_slots.for_query(query)  # other systems' slots, listed apart (docs/federation.md)
            if sort == "best" and views:
                patient = booking_policy.own_patient(current_user)
                wishes = bestfit.wishes(query, patient.id if patient else None, times)
                fits = bestfit.ranked_results(results, wishes)
                best = result_views([f.candidate.info for f in fits[:BEST_SHOWN]], doctors, hospitals)
            if not views:
                suggestions = _suggestions(values, query)
    return render_template("public/search.html", form=form, searched=searched, query=query, days=days,
                           first_slots=first_slots, doctors=doctors, hospitals=hospitals, suggestions=suggestions,
                           external=external, best=best, waitlist_url=_waitlist_url(), max_radius=MAX_RADIUS_KM,
                           title=_("Find an appointment")), status


# --- doctors and hospitals ---

@bp.app_template_global()
def doctor_photo_url(doctor: Doctor) -> str | None:
    """An uploaded photo (app/doctor/photo.py), its file name in the address so a new photo is a new address."""
    if not doctor.photo:
        return None
    if doctor.photo.startswith(f"{DOCTOR_PHOTO_DIR}/"):
        return url_for("public.doctor_photo", doctor_id=doctor.id, v=doctor.photo.rsplit("/", 1)[-1].split(".")[0])
    if doctor.photo.startswith("/"):
        return doctor.photo
    return url_for("static", filename=doctor.photo)


@bp.route("/doctors/<int:doctor_id>/photo")
def doctor_photo(doctor_id: int):
    """A doctor's photo is as public as their page: anyone may see it while the doctor is listed."""
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None or not doctor.active or not (doctor.photo or "").startswith(f"{DOCTOR_PHOTO_DIR}/"):
        abort(404)
    response = send_from_directory(upload_root(), doctor.photo, max_age=24 * 3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/doctors/<int:doctor_id>")
@read_replica
def doctor(doctor_id: int):
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None or not doctor.active:
        abort(404)
    boards, fees = [], {}
    for hospital in doctor.hospitals:
        if not hospital.active:
            continue
        first = local_today(hospital.timezone)
        boards.append((hospital, doctor_board(doctor, hospital, first, BOARD_DAYS), first))
        fees[hospital.id] = price_list(doctor, hospital)
    return render_template("public/doctor.html", doctor=doctor, boards=boards, fees=fees,
                           photo_url=doctor_photo_url(doctor),
                           languages=[_language_name(c) for c in doctor.language_list], board_days=BOARD_DAYS,
                           reviews=ratings.approved_reviews(doctor.id),
                           title=doctor.name)


@bp.route("/hospitals")
def hospitals():
    rows = db.session.execute(
        select(Hospital, func.count(doctor_hospitals.c.doctor_id))
        .outerjoin(doctor_hospitals, doctor_hospitals.c.hospital_id == Hospital.id)
        .where(Hospital.active).group_by(Hospital.id).order_by(Hospital.country, Hospital.city, Hospital.name)).all()
    return render_template("public/hospitals.html", rows=rows, title=_("Hospitals"))


@bp.route("/hospitals/<int:hospital_id>")
def hospital(hospital_id: int):
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None or not hospital.active:
        abort(404)
    doctors = db.session.scalars(
        select(Doctor).join(doctor_hospitals).where(doctor_hospitals.c.hospital_id == hospital_id, Doctor.active)
        .options(selectinload(Doctor.user), selectinload(Doctor.specialty))).all()
    doctors = sorted(doctors, key=lambda d: (d.specialty.name, d.name))
    fees = type_fees({hospital.id})  # a new patient's fee, as search shows it for a "new" slot
    return render_template("public/hospital.html", hospital=hospital, doctors=doctors, title=hospital.name,
                           new_fee=lambda d: fee_of(d, hospital.id, "new", fees))
