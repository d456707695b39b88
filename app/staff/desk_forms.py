"""Forms of the front-desk queue: issue a walk-in token (known or new patient), move an entry with a reason."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import Phone, SafeForm
from app.staff.forms import optional_int

PRIORITY_LABELS = {"normal": _l("Normal"), "urgent": _l("Urgent"), "emergency": _l("Emergency"), "vip": _l("VIP")}


class _TokenChoice:
    """Where the token goes: a doctor, or a department (its doctor with the shortest line), and a priority."""

    doctor = SelectField(_l("Doctor"), coerce=optional_int, validators=[Optional()])
    department = SelectField(_l("or department"), coerce=optional_int, validators=[Optional()],
                             description=_l("The department's doctor with the shortest line today."))
    priority = SelectField(_l("Priority"), choices=list(PRIORITY_LABELS.items()), default="normal")

    def set_choices(self, doctors, departments) -> None:
        self.doctor.choices = [("", "—")] + [(d.id, f"{d.name} · {_(d.specialty.name)}") for d in doctors]
        self.department.choices = [("", "—")] + [(d.id, d.name) for d in departments]

    def validate_target(self) -> bool:
        if (self.doctor.data is None) == (self.department.data is None):
            self.doctor.errors = [*self.doctor.errors, _l("Choose a doctor or a department (one of them).")]
            return False
        return True


class WalkinForm(_TokenChoice, SafeForm):
    patient = RadioField(_l("Patient"), coerce=optional_int, validate_choice=False,
                         validators=[DataRequired(_l("Find the patient and choose them, or register them below."))])
    submit = SubmitField(_l("Issue token"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self.validate_target() and valid


class QuickWalkinForm(_TokenChoice, SafeForm):
    """A patient without an account, registered at the desk and given a token in one step."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Phone()],
                        description=_l("International format, e.g. +44 7911 123456"))
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    submit = SubmitField(_l("Register and issue token"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self.validate_target() and valid


class MoveForm(SafeForm):
    direction = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give a reason for the move.")), Length(max=255)])

    def places(self) -> int:
        return -1 if self.direction.data == "up" else 1
