"""The public search form. It only renders and keeps what was typed: app.services.search reads the request."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SubmitField


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    specialty = SelectField(_l("Specialty"), validate_choice=False)
    city = SelectField(_l("City"), validate_choice=False)
    lat = HiddenField()
    lon = HiddenField()
    radius_km = IntegerField(_l("Radius (km)"), default=50, render_kw={"min": 1, "max": 500, "step": 1})
    urgency = RadioField(_l("Urgency"), choices=[("routine", _l("Routine")), ("urgent", _l("Urgent"))],
                         default="routine", validate_choice=False)
    first_day = DateField(_l("From"), name="from")
    last_day = DateField(_l("To"), name="to")
    hospital = SelectField(_l("Hospital"), validate_choice=False)
    doctor = SelectField(_l("Doctor"), validate_choice=False)
    appointment_type = SelectField(_l("Appointment type"), validate_choice=False)
    language = SelectField(_l("Doctor's language"), validate_choice=False)
    submit = SubmitField(_l("Search"))
