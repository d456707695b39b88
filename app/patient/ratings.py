"""Rating a completed visit (docs/ratings.md): the patient's own appointment only; a second rating, a visit not yet
completed or someone else's visit are refused by the service's policy."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.patient import bp
from app.patient.common import own_appointment
from app.patient.forms import RatingForm
from app.services import ratings
from app.transaction import transaction
from app.web.words import error_text


@bp.route("/appointments/<int:appointment_id>/rate", methods=["GET", "POST"])
def rate(appointment_id: int):
    appointment = own_appointment(appointment_id)
    try:
        ratings.check_may_rate(current_user, appointment)
    except ratings.RatingError as err:
        if err.status == 404:
            abort(404)
        flash(error_text(err), "warning")
        return redirect(url_for("patient.home"))
    form = RatingForm()
    if form.validate_on_submit():
        try:
            with transaction():
                ratings.rate(current_user, appointment, form.stars.data, form.review.data)
        except ratings.RatingError as err:
            getattr(form, err.field or "", form.review).errors.append(error_text(err))
        except IntegrityError:  # a second tab rated the same visit a moment ago
            flash(_("This visit is already rated."), "warning")
            return redirect(url_for("patient.home"))
        else:
            flash(_("Thank you. Your rating is shown once the hospital has checked it."), "success")
            return redirect(url_for("patient.home"))
    return render_template("patient/rate.html", form=form, appointment=appointment,
                           title=_("Rate your visit")), 422 if form.errors else 200
