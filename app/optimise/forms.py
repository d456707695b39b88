from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from app.forms import SafeForm


class BatchWindowForm(SafeForm):
    """The hospital and the local days whose free slots the optimiser offers."""

    class Meta:
        csrf = False  # a GET: the proposal is shown, nothing is written

    hospital = SelectField(_l("Hospital"), coerce=int, validators=[InputRequired()])
    first_day = DateField(_l("From"), validators=[DataRequired()])
    last_day = DateField(_l("To"), validators=[DataRequired()],
                         description=_l("At most 14 days: the slots freed together, e.g. a cancelled clinic."))
    submit = SubmitField(_l("Propose offers"))


class BatchApplyForm(SafeForm):
    hospital = IntegerField(validators=[InputRequired()])
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Send these offers"))


class AbsenceApplyForm(SafeForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Send the new times to the patients"))


class EmergencyForm(SafeForm):
    """Who needs a doctor now, and which specialty (or doctor) at the hospital."""

    class Meta:
        csrf = False  # a GET: the placement is proposed, nothing is written

    hospital = IntegerField(validators=[InputRequired()])
    patient = IntegerField(validators=[InputRequired()])
    specialty = SelectField(_l("Specialty"), coerce=int, validators=[InputRequired()])
    doctor = SelectField(_l("Doctor (optional)"), coerce=int, default=0)
    submit = SubmitField(_l("Find a place now"))


class EmergencyApplyForm(SafeForm):
    hospital = IntegerField(validators=[InputRequired()])
    patient = IntegerField(validators=[InputRequired()])
    token = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=200)])
    submit = SubmitField(_l("Place the emergency"))
