from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import Phone


class PatientSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Name, phone or date of birth"), validators=[DataRequired(), Length(min=2, max=80)])
    submit = SubmitField(_l("Find patient"))


class QuickPatientForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Phone()],
                        description=_l("International format, e.g. +44 7911 123456"))
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    submit = SubmitField(_l("Register patient"))
