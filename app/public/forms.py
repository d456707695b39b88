"""The public search form. It only renders and keeps what was typed: app.services.search_request reads the request."""
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.widgets import Select

from app.forms import SafeForm


class ListSelect(Select):
    """A select whose plain options render with one f-string each.

    WTForms builds every option through html_params; with a region's hospitals and a specialty's doctors that is
    some 400 options and about a tenth of the results page's time.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option{selected} value="{escape(choice.value)}">{label}</option>')


def _list(label) -> SelectField:
    return SelectField(label, validate_choice=False, widget=ListSelect())


class SearchForm(SafeForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    specialty = _list(_l("Specialty"))
    city = _list(_l("City"))
    lat = HiddenField()
    lon = HiddenField()
    radius_km = IntegerField(_l("Radius (km)"), default=50, render_kw={"min": 1, "max": 500, "step": 1})
    urgency = RadioField(_l("Urgency"), choices=[("routine", _l("Routine")), ("urgent", _l("Urgent"))],
                         default="routine", validate_choice=False)
    first_day = DateField(_l("From"), name="from")
    last_day = DateField(_l("To"), name="to")
    hospital = _list(_l("Hospital"))
    doctor = _list(_l("Doctor"))
    appointment_type = _list(_l("Appointment type"))
    language = _list(_l("Doctor's language"))
    sort = RadioField(_l("Show"), choices=[("earliest", _l("Earliest")), ("best", _l("Best for you"))],
                      default="earliest", validate_choice=False)
    times = SelectField(_l("Preferred time of day"), validate_choice=False,
                        choices=[("", _l("Any time")), ("morning", _l("Morning")), ("afternoon", _l("Afternoon")),
                                 ("evening", _l("Evening"))])
    submit = SubmitField(_l("Search"))
