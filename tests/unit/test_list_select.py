"""The search form's fast select renders what WTForms' own Select would, without its deprecated signature."""
import warnings

from wtforms import Form, SelectField
from wtforms.widgets import Select

from app.public.forms import ListSelect

CHOICES = [("", "Any"), ("7", 'St. Mary\'s & "Royal"'), ("<b>", "<b>bold</b>")]


class Both(Form):
    fast = SelectField("Fast", choices=CHOICES, validate_choice=False, widget=ListSelect())
    plain = SelectField("Plain", choices=CHOICES, validate_choice=False, widget=Select())


def options(html: str) -> str:
    return html[html.index(">") + 1:]  # the options, past the <select ...> whose id and name differ


def test_renders_the_options_wtforms_would_and_escapes_them():
    form = Both(data={"fast": "7", "plain": "7"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the pre-3.3 render_option signature warns
        fast = str(form.fast())
    assert options(fast) == options(str(form.plain()))
    assert '<option selected value="7">St. Mary&#39;s &amp; &#34;Royal&#34;</option>' in fast
    assert "<b>" not in options(fast)


def test_options_with_attributes_fall_back_to_wtforms():
    field = Both().fast
    field.choices = [("1", "One", {"disabled": True})]
    assert 'disabled' in str(field())
