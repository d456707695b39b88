from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from app.forms import SafeForm
from app.scheduling.vitals import VITAL_RANGES

VITAL_LABELS = {
    "systolic_mmhg": _l("Blood pressure, systolic"), "diastolic_mmhg": _l("Blood pressure, diastolic"),
    "pulse_bpm": _l("Pulse"), "temperature_c": _l("Temperature"), "spo2_percent": _l("Oxygen saturation (SpO2)"),
    "weight_kg": _l("Weight"), "height_cm": _l("Height"),
}
STATUS_LABELS = {"called": _l("Call"), "in_progress": lazy_pgettext("queue step", "Start"), "completed": _l("Complete"),
                 "waiting": _l("Back to waiting"), "left": _l("Left"), "no_show": _l("No-show")}


def _vital(key: str) -> StringField:
    """Text, not a number field: the core parses "37,5" as well as "37.5" and names the field it refuses."""
    low, high, unit, _label = VITAL_RANGES[key]
    return StringField(VITAL_LABELS[key], validators=[Optional(), Length(max=12)],
                       description=f"{low:f}–{high:f} {unit}",
                       render_kw={"inputmode": "decimal", "autocomplete": "off", "data-unit": unit})


class VitalsForm(SafeForm):
    systolic_mmhg = _vital("systolic_mmhg")
    diastolic_mmhg = _vital("diastolic_mmhg")
    pulse_bpm = _vital("pulse_bpm")
    temperature_c = _vital("temperature_c")
    spo2_percent = _vital("spo2_percent")
    weight_kg = _vital("weight_kg")
    height_cm = _vital("height_cm")
    submit = SubmitField(_l("Save vitals"))

    def values(self) -> dict[str, str | None]:
        return {key: getattr(self, key).data or None for key in VITAL_RANGES}


class StatusForm(SafeForm):
    status = SelectField(choices=list(STATUS_LABELS.items()))


class ActionForm(SafeForm):
    """A button that changes something: CSRF only."""
