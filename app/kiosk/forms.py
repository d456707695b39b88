from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.forms import SafeForm


class CheckInForm(SafeForm):
    """What a QR scanner types (it ends with Enter, which submits) or the camera fills in."""

    class Meta:
        csrf_time_limit = None  # a kiosk page stays open all day; the token is still bound to its session

    code = StringField(_l("Check-in code"), validators=[DataRequired(_l("Scan the QR code on your confirmation.")),
                                                        Length(max=400)],
                       render_kw={"autocomplete": "off", "autofocus": True, "spellcheck": "false"})
    submit = SubmitField(_l("Check in"))
