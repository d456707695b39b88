"""Availability forms: weekly hours with their booking policy, and leave or extra clinics.

The forms only parse what was typed. Whether the hours make sense (end after start, no overlaps, the 5-minute grid,
policy ranges) is the scheduling core's rule, checked by app.services.schedules.put_schedule; its errors come back
keyed like "rules.2.end" and are attached to the matching row and field here.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import SafeForm
from app.services.availability.schedules import RuleInput

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))
KIND_CHOICES = [("slots", _l("Slots")), ("tokens", _l("Tokens"))]
EMPTY_ROWS = 3  # blank rows offered below the saved ones
REQUIRED = _l("Required.")


def optional_int(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RuleForm(Form):
    """One row of weekly hours. A row left without day, start and end is ignored."""

    weekday = SelectField(_l("Day"), coerce=optional_int,
                          choices=[("", "—")] + [(str(i), name) for i, name in enumerate(WEEKDAYS)])
    start = TimeField(_l("Start"), validators=[Optional()])
    end = TimeField(_l("End"), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, default="slots")
    slot_minutes = IntegerField(_l("Slot minutes"), default=15, validators=[Optional()])
    tokens_per_slot = IntegerField(_l("Tokens per slot"), default=1, validators=[Optional()])
    appointment_types = CheckboxesField(_l("Appointment types"), choices=[])
    room_id = SelectField(_l("Room"), coerce=optional_int, choices=[("", "—")])

    def is_blank(self) -> bool:
        return self.weekday.data is None and self.start.data is None and self.end.data is None

    def to_input(self) -> RuleInput | None:
        """The row as a service input; None (with errors on the row) when day, start or end is missing."""
        missing = [f for f in (self.weekday, self.start, self.end) if f.data is None and not f.errors]
        for f in missing:
            f.errors = [*f.errors, REQUIRED]
        if missing or self.start.errors or self.end.errors:
            return None
        return RuleInput(weekday=self.weekday.data, start=self.start.data, end=self.end.data, kind=self.kind.data,
                         slot_minutes=self.slot_minutes.data if self.slot_minutes.data is not None else 15,
                         tokens_per_slot=self.tokens_per_slot.data if self.tokens_per_slot.data is not None else 1,
                         appointment_types=list(self.appointment_types.data or []), room_id=self.room_id.data)


class ScheduleForm(SafeForm):
    rules = FieldList(FormField(RuleForm), min_entries=EMPTY_ROWS)
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()],
                           description=_l("The new hours replace the current ones from this day."))
    valid_till = DateField(_l("Valid till (optional)"), validators=[Optional()],
                           description=_l("The first day without these hours; empty keeps them until changed."))
    horizon_days = IntegerField(_l("Booking horizon (days)"), default=60, validators=[InputRequired()],
                                description=_l("How far ahead patients may book."))
    daily_limit = IntegerField(_l("Daily limit (optional)"), validators=[Optional()],
                               description=_l("At most this many appointments a day."))
    min_notice_minutes = IntegerField(_l("Minimum notice (minutes)"), default=60, validators=[InputRequired()])
    buffer_minutes = IntegerField(_l("Buffer between slots (minutes)"), default=0, validators=[InputRequired()])
    urgent_share = IntegerField(_l("Held for urgent cases (%)"), default=0, validators=[InputRequired()],
                                description=_l("0 to 50 % of each day's slots."))
    urgent_release_hours = IntegerField(_l("Release held slots (hours before)"), default=24,
                                        validators=[InputRequired()])
    submit = SubmitField(_l("Save availability"))
    add_row = SubmitField(_l("Add row"))

    POLICY = ("horizon_days", "daily_limit", "min_notice_minutes", "buffer_minutes", "urgent_release_hours")

    def set_choices(self, type_choices: list[tuple[str, str]], room_choices: list[tuple[int, str]]) -> None:
        for row in self.rules:
            row.form.appointment_types.choices = type_choices
            row.form.room_id.choices = [("", "—")] + room_choices

    def has_errors(self) -> bool:
        """Errors anywhere, rows included (FieldList keeps only the errors of its own validation run)."""
        rows = any(row.form.form_errors or any(f.errors for f in row.form) for row in self.rules)
        return rows or bool(self.form_errors) or any(f.errors for name, f in self._fields.items() if name != "rules")

    def rule_rows(self) -> list[tuple[int, RuleInput | None]]:
        """(row index, input) of every row that is not blank; input None when the row is incomplete."""
        return [(i, row.form.to_input()) for i, row in enumerate(self.rules) if not row.form.is_blank()]


ROOM_EXCEPTION_CHOICES = [("no", _l("No: the room is closed")), ("yes", _l("Yes: an extra session"))]


class ExceptionForm(SafeForm):
    """Leave or an extra clinic, typed in the hospital's local time."""

    start_date = DateField(_l("From (date)"), validators=[DataRequired()])
    start_time = TimeField(_l("From (time)"), validators=[DataRequired()])
    end_date = DateField(_l("Until (date)"), validators=[DataRequired()])
    end_time = TimeField(_l("Until (time)"), validators=[DataRequired()])
    available = RadioField(_l("Available?"), default="no",
                           choices=[("no", _l("No: leave or time off")), ("yes", _l("Yes: an extra clinic"))])
    reason = StringField(_l("Reason"), validators=[Length(max=255)])
    submit = SubmitField(_l("Add"))
