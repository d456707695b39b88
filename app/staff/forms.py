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


class ElsewhereLookupForm(SafeForm):
    """A patient of no tie to the desk's hospitals: two exact identifiers and the reason, audited
    (docs/security.md, "Patients at the desk")."""

    name = StringField(_l("Full name"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("or phone"), validators=[Optional(), Length(max=40)])
    birth_date = DateField(_l("Date of birth"), validators=[DataRequired(_l("The date of birth is needed."))])
    reason = StringField(_l("Reason for the lookup"), validators=[DataRequired(_l("Say why you look this patient up.")),
                                                                  Length(max=255)],
                         description=_l("Kept in the audit log with your name and the time."))
    submit = SubmitField(_l("Look up"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.name.data or "").strip() and not (self.phone.data or "").strip():
            self.name.errors = [*self.name.errors, _l("Give the full name or the phone number.")]
            return False
        return valid


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


class TeamSearchForm(SafeForm):
    """The team search at the desk (docs/teams.md): a procedure whose type has a team, and the days."""

    class Meta:
        csrf = False  # a GET search changes nothing

    procedure = SelectField(_l("Procedure"), coerce=int, validators=[DataRequired()])
    first_day = DateField(_l("From"), validators=[DataRequired()])
    last_day = DateField(_l("To"), validators=[DataRequired()])
    submit = SubmitField(_l("Find team times"))


class TeamBookForm(SafeForm):
    procedure = StringField(validators=[DataRequired(), Length(max=12)])
    start = StringField(validators=[DataRequired(), Length(max=40)])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=255)])
    submit = SubmitField(_l("Book this team"))
