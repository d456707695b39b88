"""The admin's reports (docs/reports.md): the region's or the hospital's dashboard, and the doctors' statements."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.extensions import db
from app.models import Doctor
from app.services.reports import dashboard
from app.services.reports.earnings import statement
from app.services.reports.policy import may_see_statement, statement_hospitals
from app.web import reports as pages


@bp.route("/reports")
def reports():
    return pages.dashboard_page(current_user, "reports/dashboard.html", _("Reports"), "admin.reports",
                                statement_doctors=_statement_doctors())


def _statement_doctors() -> list[tuple[int, str]] | None:
    """The doctors whose statements the page links to: those of the chosen hospital, or of a hospital admin's
    hospitals. A region admin chooses a hospital first (None): the region's two thousand names are no list."""
    mine = statement_hospitals(current_user)
    chosen = pages.optional_int(request.args.get("hospital"))
    if chosen is not None and (mine is None or chosen in mine):
        return dashboard.doctors_in(frozenset({chosen}))
    return None if mine is None else dashboard.doctors_in(mine)


@bp.route("/reports/statements/<int:doctor_id>")
def doctor_statement(doctor_id: int):
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None or not may_see_statement(current_user, doctor):
        abort(404)
    form = pages.MonthForm(request.args)
    month = form.chosen()
    found = statement(doctor, month, statement_hospitals(current_user)) if month else None
    pdf_url = url_for("admin.doctor_statement", doctor_id=doctor.id, month=form.month.data or None, format="pdf")
    return pages.statement_page(found, form, pdf_url, doctor=doctor, back=url_for("admin.reports"))
