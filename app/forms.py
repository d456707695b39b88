"""Field validators shared by every blueprint's forms."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, TextAreaField, ValidationError

from app.phones import e164
from app.services.accounts.passwords import password_problem
from app.text import text_problem


class SafeForm(FlaskForm):
    """Every form of the portal: single-line fields refuse line breaks and control characters, every text field
    refuses bidi overrides (docs/security.md, "Headers and limits")."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if not isinstance(field.data, str) or isinstance(field, PasswordField):
                continue
            problem = text_problem(field.data, multiline=isinstance(field, TextAreaField))
            if problem:
                field.errors = [*field.errors, _(problem)]
                valid = False
        return valid


class Phone:
    """Validates and normalises a phone field in place.

    With `keep_stored=True` (an edit form built from the stored record), a value the user did not change is not
    re-validated into an error: a number stored before today's check (or by an older demo) must not stop someone
    saving the other fields of the form. Its problem is shown on the field as a warning (`field.warnings`) and
    the stored value is kept as it is; a value the user typed is checked in full (issue #13, part 2;
    docs/security.md, "Forms").
    """

    def __init__(self, keep_stored: bool = False):
        self.keep_stored = keep_stored

    def __call__(self, form, field):
        try:
            field.data = e164(field.data)
        except ValueError as err:
            if self.keep_stored and untouched(field):
                field.warnings = [*getattr(field, "warnings", []), str(err)]
                return
            raise ValidationError(str(err)) from None


def untouched(field) -> bool:
    """The submitted value is the stored one (what the form was built from), spaces aside."""
    stored = field.object_data
    return stored is not None and (field.data or "").strip() == str(stored).strip()


def stored_phone_warnings(*fields) -> None:
    """On a form shown for editing: put the problem of each stored phone number on its field as a warning, so the
    person sees it before saving (the same words `Phone` would use)."""
    for field in fields:
        if not field.data:
            continue
        try:
            e164(field.data)
        except ValueError as err:
            field.warnings = [str(err)]


def _data(form, name: str) -> str:
    field = getattr(form, name, None)
    return (field.data or "") if field is not None else ""


class StrongPassword:
    def __init__(self, email_field: str = "email", name_field: str = "name"):
        self.email_field = email_field
        self.name_field = name_field

    def __call__(self, form, field):
        # forms without an e-mail field (reset, change) carry the account's address as account_email
        email = getattr(form, "account_email", None) or _data(form, self.email_field)
        name = _data(form, self.name_field)
        problem = password_problem(field.data or "", email or "", name or "")
        if problem:
            raise ValidationError(problem)


LANGUAGE_CHOICES = [("en", _l("English")), ("de", _l("Deutsch"))]
