"""Forms of the patient's waitlist pages: join (what, where, by when, which times suit) and the offer buttons."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import SafeForm

TIMES_OF_DAY = (("morning", _l("Morning (before 12:00)")), ("afternoon", _l("Afternoon (12:00–17:00)")),
                ("evening", _l("Evening (after 17:00)")))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (each with its own label), not a multi-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class JoinWaitlistForm(SafeForm):
    specialty = SelectField(_l("Specialty"), validators=[Optional()], validate_choice=False)
    doctor = SelectField(_l("A particular doctor (optional)"), validators=[Optional()], validate_choice=False,
                         description=_l("Leave it at any doctor to get the first slot of the specialty."))
    hospitals = MultiCheckboxField(_l("Hospitals"), validators=[Optional()], coerce=int, validate_choice=False,
                                   description=_l("Tick the hospitals you can reach, or none and choose a city "
                                                  "and radius below (or neither: anywhere in the region)."))
    city = SelectField(_l("Near a city"), validators=[Optional()], validate_choice=False)
    lat = HiddenField()
    lon = HiddenField()
    radius_km = IntegerField(_l("Radius (km)"), validators=[Optional(), NumberRange(min=1, max=500)],
                             render_kw={"min": 1, "max": 500, "step": 1})
    latest = DateField(_l("Latest acceptable date"), validators=[DataRequired(_l("Choose the last day you can wait "
                                                                                  "for."))],
                       description=_l("We only offer slots on or before this day."))
    urgency = RadioField(_l("Urgency"), choices=[("routine", _l("Routine")), ("urgent", _l("Urgent"))],
                         default="routine")
    times_of_day = MultiCheckboxField(_l("Times of day that suit you"), choices=TIMES_OF_DAY,
                                      validators=[Optional()],
                                      description=_l("None ticked means any time of day."))
    appointment_type = SelectField(_l("Appointment type"), validators=[Optional()], validate_choice=False)
    current_appointment = HiddenField()
    submit = SubmitField(_l("Join the waitlist"))


class ButtonForm(SafeForm):
    """A bare POST (accept, decline, leave): only the CSRF token."""
