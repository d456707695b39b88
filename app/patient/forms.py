from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import SafeForm


class ConfirmBookingForm(SafeForm):
    appointment_type = SelectField(_l("Appointment type"), validators=[Optional()])
    reason = TextAreaField(_l("Reason for the visit (optional)"), validators=[Optional(), Length(max=500)],
                           render_kw={"rows": 3}, description=_l("Only the doctor and the hospital see it."))
    urgency = HiddenField(default="routine")
    submit = SubmitField(_l("Confirm booking"))


STAR_CHOICES = [(5, _l("5 - excellent")), (4, _l("4 - good")), (3, _l("3 - fair")), (2, _l("2 - poor")),
                (1, _l("1 - very poor"))]


class RatingForm(SafeForm):
    """The patient's rating of a completed visit (docs/ratings.md)."""
    stars = SelectField(_l("Your rating"), choices=STAR_CHOICES, coerce=int)
    review = TextAreaField(_l("Short review (optional)"), validators=[Optional(), Length(max=1000)],
                           render_kw={"rows": 4, "maxlength": 1000},
                           description=_l("Shown on the doctor's page after the hospital has checked it."))
    submit = SubmitField(_l("Send rating"))
