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
