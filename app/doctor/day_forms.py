from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import SafeForm


class NotesForm(SafeForm):
    notes = TextAreaField(_l("Consult notes"), validators=[Optional(), Length(max=10000)], render_kw={"rows": 6})
    save = SubmitField(_l("Save notes"))
    complete = SubmitField(_l("Save and complete"))
