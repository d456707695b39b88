from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional


class NotesForm(FlaskForm):
    notes = TextAreaField(_l("Consult notes"), validators=[Optional(), Length(max=10000)], render_kw={"rows": 6})
    save = SubmitField(_l("Save notes"))
    complete = SubmitField(_l("Save and complete"))
