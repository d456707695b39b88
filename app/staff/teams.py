"""Procedure teams at the desk (docs/teams.md): find times when every role of a procedure's team is free, book
the whole team for a patient in one transaction, and see team appointments whose member has since gone on leave."""
from __future__ import annotations

from datetime import timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import SchedulableResource, TeamTemplate
from app.services import teams
from app.services.availability.views import local_today
from app.staff import bp
from app.staff.booking import desk_patient
from app.staff.forms import TeamBookForm, TeamSearchForm
from app.transaction import transaction
from app.web.booking_forms import local_when, start_or_404
from app.web.words import error_text

SEARCH_DAYS = 7


def _template(template_id: int | None):
    """A team template of one of the desk's hospitals; any other looks like one that does not exist."""
    template = db.session.get(TeamTemplate, template_id or 0)
    if template is None or not teams.may_use_teams(current_user, template.hospital_id):
        abort(404)
    return template


def _names(resource_ids: set[int]) -> dict[int, str]:
    rows = db.session.scalars(select(SchedulableResource).where(SchedulableResource.id.in_(resource_ids))) \
        if resource_ids else []
    return {r.id: r.doctor.name if r.doctor_id else r.room.name for r in rows}


def _results(found: teams.TeamSearch) -> list[tuple]:
    """(local day, [(slot, local start, [(role, name)])]) for the page."""
    tz = ZoneInfo(found.template.appointment_type.hospital.timezone)
    names = _names({m for s in found.slots for _, m in s.members})
    rows = [(s, core.to_local(s.start, tz), [(role, names[m]) for role, m in s.members]) for s in found.slots]
    return [(day, list(items)) for day, items in groupby(rows, key=lambda r: r[1].date())]


@bp.route("/patients/<int:patient_id>/teams", methods=["GET", "POST"])
def team_search(patient_id: int):
    patient = desk_patient(patient_id)
    templates = teams.templates_at(set(current_user.hospital_ids))
    hospital = templates[0].appointment_type.hospital if templates else None
    today = local_today(hospital.timezone) if hospital else None
    form = TeamSearchForm(request.args, data={"first_day": today,
                                              "last_day": today + timedelta(days=SEARCH_DAYS - 1) if today else None})
    form.procedure.choices = [(t.id, f"{t.appointment_type.name} · {t.appointment_type.hospital.name}")
                              for t in templates]
    book_form, status, results, found = TeamBookForm(), 200, [], None
    if request.method == "POST":  # the book buttons post to this page's address: a refusal shows it again
        status = _book(patient, book_form)
        if status is None:
            return redirect(url_for("staff.patient", patient_id=patient.id))
    searched = "procedure" in request.args
    if searched and form.validate():
        try:
            found = teams.search_team(_template(form.procedure.data), form.first_day.data, form.last_day.data)
            results = _results(found)
        except core.SchedulingError as err:
            form.last_day.errors = [*form.last_day.errors, error_text(err)]
            status = 422
    elif searched:
        status = 422
    return render_template("staff/team_search.html", patient=patient, form=form, book_form=book_form, found=found,
                           results=results, searched=searched, title=_("Book a procedure team")), status


def _book(patient, form: TeamBookForm) -> int | None:
    """None when booked and committed; else the status to show the search with (the form carries the message)."""
    if not form.validate_on_submit():
        flash(_("The booking could not be read. Please choose a time again."), "danger")
        return 422
    template = _template(int(form.procedure.data) if form.procedure.data.isdigit() else None)
    start = start_or_404(form.start.data)
    try:
        with transaction():
            appointment = teams.book_team(current_user, template, patient, start, reason=form.reason.data)
    except core.SchedulingError as err:
        flash(error_text(err), "danger")
        return err.http_status
    flash(_("Team booked for %(when)s.", when=local_when(appointment.start, appointment.hospital)), "success")
    return None


@bp.route("/teams")
def team_overview():
    """Team appointments a member's leave has hit, at the desk's hospitals: rebook or cancel them."""
    flagged = teams.needs_rebooking(set(current_user.hospital_ids))
    members = teams.participants([a.id for a in flagged])
    return render_template("staff/team_overview.html", flagged=flagged, members=members,
                           local_when=local_when, title=_("Procedure teams"))
