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
    """Validates and normalises a phone field in place."""

    def __call__(self, form, field):
        try:
            field.data = e164(field.data)
        except ValueError as err:
            raise ValidationError(str(err)) from None


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
