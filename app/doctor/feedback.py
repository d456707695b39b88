"""The doctor's feedback on a visit (docs/ratings.md, "Doctor feedback"): once per completed visit of theirs,
seen afterwards by the hospital's doctors and nurses only."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.doctor import bp
from app.extensions import db
from app.forms import SafeForm
from app.models import Appointment
from app.services import ratings
from app.transaction import transaction
from app.web.words import error_text

SCALE = [(5, _l("5 - very good")), (4, _l("4 - good")), (3, _l("3 - fair")), (2, _l("2 - poor")),
         (1, _l("1 - very poor"))]


class VisitFeedbackForm(SafeForm):
    punctuality = SelectField(_l("Punctuality"), choices=SCALE, coerce=int)
    preparation = SelectField(_l("Preparation"), choices=SCALE, coerce=int,
                              description=_l("Documents, medication list, fasting as asked."))
    note = TextAreaField(_l("Short note (optional)"), validators=[Optional(), Length(max=500)],
                         render_kw={"rows": 3, "maxlength": 500},
                         description=_l("Seen by this hospital's doctors and nurses, and by the patient in their "
                                        "data export."))
    submit = SubmitField(_l("Save feedback"))


@bp.route("/visits/<int:appointment_id>/feedback", methods=["GET", "POST"])
def visit_feedback(appointment_id: int):
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not ratings.policy.may_give_feedback(current_user, appointment):
        abort(404)
    given = ratings.feedback_of(appointment.id)
    form = VisitFeedbackForm()
    if given is None and form.validate_on_submit():
        try:
            with transaction():
                ratings.give_feedback(current_user, appointment, form.punctuality.data, form.preparation.data,
                                      form.note.data)
        except ratings.RatingError as err:
            getattr(form, err.field or "", form.note).errors.append(error_text(err))
        except IntegrityError:
            flash(_("You have already rated this visit."), "warning")
        else:
            flash(_("Feedback saved."), "success")
            return redirect(url_for("doctor.visit_feedback", appointment_id=appointment.id))
    elif given is None and appointment.status != "completed":
        flash(_("Only a completed visit can be rated."), "warning")
        return redirect(url_for("doctor.day"))
    return render_template("doctor/feedback.html", form=form, appointment=appointment, given=given,
                           title=_("Feedback on the visit")), 422 if form.errors else 200
