"""The message forms: a patient's new conversation, and a reply from either side."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import SafeForm

ATTACHMENT_HELP = _l("Optional: one PNG or JPEG image or PDF file, smaller than 5 MB.")


def uploaded(field) -> tuple[str, bytes] | None:
    """(file name, bytes) of an uploaded file, or None when none was chosen."""
    data = field.data
    if isinstance(data, FileStorage) and data and data.filename:
        return data.filename, data.read()
    return None


def body_field():
    # the service checks the length against MESSAGE_MAX_CHARS and shows its refusal on this field
    return TextAreaField(_l("Your message"), validators=[DataRequired(_l("Write a message."))], render_kw={"rows": 5})


def attachment_field():
    return FileField(_l("Attachment"), description=ATTACHMENT_HELP,
                     render_kw={"accept": "image/png,image/jpeg,application/pdf"})


class ReplyForm(SafeForm):
    body = body_field()
    attachment = attachment_field()
    submit = SubmitField(_l("Send"))


class NewThreadForm(SafeForm):
    recipient = SelectField(_l("To"), validators=[DataRequired(_l("Choose whom you are writing to."))])
    appointment = SelectField(_l("About the appointment (optional)"), validators=[Optional()],
                              description=_l("For a message to the desk; a message to a doctor is always about "
                                             "the appointment chosen above."))
    subject = StringField(_l("Subject"), validators=[DataRequired(_l("Give the message a subject.")),
                                                     Length(max=120)])
    body = body_field()
    attachment = attachment_field()
    submit = SubmitField(_l("Send"))
