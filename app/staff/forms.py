from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import Phone, SafeForm
from app.web.booking_forms import CancelForm


class PatientSearchForm(SafeForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Name, phone or date of birth"), validators=[DataRequired(), Length(min=2, max=80)])
    submit = SubmitField(_l("Find patient"))


class QuickPatientForm(SafeForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Phone()],
                        description=_l("International format, e.g. +44 7911 123456"))
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    submit = SubmitField(_l("Register patient"))


def optional_int(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class SlotSearchForm(SafeForm):
    """Free times of a doctor (or of every doctor of a specialty) at the desk's hospitals."""

    class Meta:
        csrf = False  # a GET search changes nothing

    specialty = SelectField(_l("Specialty"), coerce=optional_int, validators=[Optional()])
    doctor = SelectField(_l("Doctor"), coerce=optional_int, validators=[Optional()])
    appointment_type = SelectField(_l("Appointment type"), validators=[Optional()])
    first_day = DateField(_l("From"), validators=[DataRequired()])
    last_day = DateField(_l("To"), validators=[DataRequired()])
    submit = SubmitField(_l("Show free times"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.doctor.data is None and self.specialty.data is None:  # Optional() would skip a field validator
            self.doctor.errors = [*self.doctor.errors, _l("Choose a doctor or a specialty.")]
            return False
        return valid


class BookForm(SafeForm):
    appointment_type = SelectField(_l("Appointment type"), validators=[Optional()])
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)],
                           render_kw={"rows": 2})
    submit = SubmitField(_l("Book appointment"))


class StaffCancelForm(CancelForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=255)],
                         description=_l("Kept with the appointment and in the audit log."))
