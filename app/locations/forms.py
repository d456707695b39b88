"""Location forms: what a booker types. Whether the time is bookable is the locations service's rule."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.forms import SafeForm

ROOM_KIND_LABELS = {"consultation": _l("Consultation room"), "operating_theatre": _l("Operating theatre"),
                    "vaccination": _l("Vaccination room"), "imaging": _l("Imaging"),
                    "treatment": _l("Treatment room")}
ACCESS_LABELS = {"manager": _l("Manager"), "booker": _l("Booker"), None: _l("View only")}


def optional_int(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def multiple_of_five(_form, field) -> None:
    if field.data is not None and field.data % 5:
        raise ValidationError(_l("Use a multiple of 5 minutes."))


class BookingForm(SafeForm):
    """Book the room; `emergency` is removed for bookers (only managers may displace)."""

    day = DateField(_l("Date"), validators=[InputRequired(_l("Pick the day."))])
    start_time = TimeField(_l("Start time"), validators=[InputRequired(_l("Enter the start time."))])
    minutes = IntegerField(_l("Length in minutes"), default=60,
                           validators=[InputRequired(_l("Enter the length in minutes.")),
                                       NumberRange(min=5, max=24 * 60, message=_l("Between 5 minutes and 24 hours.")),
                                       multiple_of_five])
    doctor_id = SelectField(_l("Doctor (optional)"), coerce=optional_int, choices=[("", "—")],
                            validators=[Optional()])
    patient_id = SelectField(_l("Patient (optional)"), coerce=optional_int, choices=[("", "—")],
                             validators=[Optional()],
                             description=_l("Recent patients of this hospital. Leave empty for a list or a block."))
    reason = StringField(_l("Reason or procedure"), validators=[Optional(), Length(max=255)])
    emergency = BooleanField(_l("Emergency"))
    submit = SubmitField(_l("Book the room"))


class GrantForm(SafeForm):
    """Give one person access to the room; the page shows one for doctors (booker) and one for staff (manager)."""

    user_id = SelectField(_l("Person"), coerce=optional_int, choices=[("", "—")],
                          validators=[DataRequired(_l("Choose a person."))])
    submit = SubmitField(_l("Grant"))

