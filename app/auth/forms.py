from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.forms import LANGUAGE_CHOICES, Phone, SafeForm, StrongPassword


class LoginForm(SafeForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in"))
    submit = SubmitField(_l("Log in"))


class RegistrationForm(SafeForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=255)])
    phone = StringField(_l("Mobile phone (optional)"), validators=[Optional(), Phone()],
                        description=_l("International format, e.g. +44 7911 123456"))
    birth_date = DateField(_l("Date of birth (optional)"), validators=[Optional()])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")
    password = PasswordField(_l("Password"), validators=[DataRequired(), StrongPassword()],
                             description=_l("At least 10 characters; not a common password."))
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])
    submit = SubmitField(_l("Create account"))
    # no check whether the address is taken: the answer must be the same either way (docs/security.md, "Logins")


class ApiTokenForm(SafeForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("What the token is for, e.g. the program that uses it."))
    submit = SubmitField(_l("Create token"))


class ForgotPasswordForm(SafeForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    submit = SubmitField(_l("Send reset link"))


class ResendVerificationForm(SafeForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    submit = SubmitField(_l("Send a new link"))


class ResetPasswordForm(SafeForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])
    submit = SubmitField(_l("Set new password"))


class ChangePasswordForm(SafeForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])
    submit = SubmitField(_l("Change password"))


class ProfileForm(SafeForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Save"))


class PatientProfileForm(ProfileForm):
    # a stored number that fails today's check warns instead of blocking, until the user changes it (app/forms.py)
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Phone(keep_stored=True)],
                        description=_l("International format, e.g. +44 7911 123456"))
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    sex = SelectField(_l("Sex"), choices=[("", "—"), ("female", _l("Female")), ("male", _l("Male")),
                                          ("other", _l("Other")), ("unknown", _l("Prefer not to say"))])
    blood_type = SelectField(_l("Blood type"), choices=[("", _l("Unknown"))] + [
        (b, b) for b in ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-")])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=500)])
    emergency_contact_name = StringField(_l("Emergency contact"), validators=[Optional(), Length(max=120)])
    emergency_contact_phone = StringField(_l("Emergency contact phone"),
                                          validators=[Optional(), Phone(keep_stored=True)])
    notify_email = BooleanField(_l("E-mail"))
    notify_sms = BooleanField(_l("SMS (text message)"), description=_l("Needs a mobile phone number."))
    # the service checks the size again and the type by the file's magic bytes; these give the form its messages
    photo_upload = FileField(_l("Upload a photo"), validators=[
        FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Only JPEG, PNG or WebP images are accepted.")),
        FileSize(max_size=2 * 1024 * 1024, message=_l("The photo is larger than 2 MB."))],
        description=_l("JPEG, PNG or WebP, at most 2 MB. Only you and the hospitals that treat you see it."))
    remove_photo = BooleanField(_l("Remove my photo"))

    RECORD_FIELDS = ("phone", "birth_date", "sex", "blood_type", "address", "emergency_contact_name",
                     "emergency_contact_phone")
    PREFERENCE_FIELDS = ("notify_email", "notify_sms")

    def validate_notify_sms(self, field):
        if field.data and (not self.phone.data or self.phone.errors or getattr(self.phone, "warnings", None)):
            if field.data == field.object_data and self.phone.data and not self.phone.errors:
                # both stored as they were: say so, but let the rest save (app/forms.py, Phone)
                field.warnings = [_l("Text messages need a valid mobile phone number.")]
                return
            raise ValidationError(_l("Text messages need a valid mobile phone number."))


class DeleteAccountForm(SafeForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    confirm = BooleanField(_l("I understand that my account is closed and cannot be restored."),
                           validators=[DataRequired(_l("Please confirm."))])
    submit = SubmitField(_l("Delete my account"))
