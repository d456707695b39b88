from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class ManageCancelForm(FlaskForm):
    reason = StringField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=255)],
                         description=_l("It helps the hospital offer the time to someone else."))
    submit = SubmitField(_l("Cancel appointment"))


class ManagePickForm(FlaskForm):
    start = HiddenField(validators=[DataRequired()])
