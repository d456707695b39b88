"""The desk's forms for a recurring series (docs/series.md)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import SafeForm
from app.scheduling.series import MAX_COUNT, MAX_EVERY
from app.staff.forms import optional_int


class SeriesForm(SafeForm):
    """The rule, read from the query string: previewing changes nothing (the confirmation is a separate POST)."""

    class Meta:
        csrf = False

    hospital = SelectField(_l("Hospital"), coerce=int, validators=[InputRequired()])
    specialty = SelectField(_l("Specialty"), coerce=optional_int, validators=[Optional()])
    doctor = SelectField(_l("Doctor"), coerce=optional_int, validators=[Optional()])
    appointment_type = SelectField(_l("Appointment type"), validators=[Optional()])
    first_day = DateField(_l("First date"), validators=[DataRequired()])
    every = IntegerField(_l("Repeat every"), default=1, validators=[InputRequired(), NumberRange(1, MAX_EVERY)])
    unit = SelectField(_l("Unit"), choices=[("weeks", _l("weeks")), ("days", _l("days"))], default="weeks")
    count = IntegerField(_l("Number of appointments"), validators=[Optional(), NumberRange(1, MAX_COUNT)],
                         description=_l("Or leave empty and give an end date."))
    until = DateField(_l("Until (inclusive)"), validators=[Optional()])
    window_start = TimeField(_l("Between"), validators=[DataRequired()])
    window_end = TimeField(_l("and"), validators=[DataRequired()])
    submit = SubmitField(_l("Preview the series"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.doctor.data is None and self.specialty.data is None:
            self.doctor.errors = [*self.doctor.errors, _l("Choose a doctor or a specialty.")]
            valid = False
        if (self.count.data is None) == (self.until.data is None) and not self.count.errors and not self.until.errors:
            self.count.errors = [*self.count.errors,
                                 _l("Give either a number of appointments or an end date, not both.")]
            valid = False
        if self.window_start.data and self.window_end.data and self.window_end.data <= self.window_start.data:
            self.window_end.errors = [*self.window_end.errors, _l("The time window must end after it starts.")]
            valid = False
        return valid


class ConfirmSeriesForm(SafeForm):
    """Book what the preview showed: `preview` is its fingerprint, so a changed world is noticed, not booked."""

    preview = HiddenField(validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Book the series"))


class CancelRestForm(SafeForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=255)],
                         description=_l("Kept with each cancelled appointment and in the audit log."))
    submit = SubmitField(_l("Cancel the rest of the series"))
