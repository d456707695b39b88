"""The doctor's own figures and monthly statement (docs/reports.md)."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.doctor import bp
from app.doctor.routes import current_doctor
from app.services.reports.earnings import statement
from app.services.reports.policy import may_see_statement
from app.web import reports as pages


@bp.route("/reports")
def reports():
    doctor = current_doctor()
    return pages.dashboard_page(current_user, "reports/dashboard.html", _("My figures"), "doctor.reports",
                                doctor=doctor)


@bp.route("/statement")
def my_statement():
    doctor = current_doctor()
    if not may_see_statement(current_user, doctor):  # the same rule the admin's page asks
        abort(404)
    form = pages.MonthForm(request.args)
    month = form.chosen()
    found = statement(doctor, month) if month else None
    pdf_url = url_for("doctor.my_statement", month=form.month.data or None, format="pdf")
    return pages.statement_page(found, form, pdf_url, doctor=doctor, back=url_for("doctor.reports"))
