"""Admin forms: what an admin may type. Uniqueness and links between records are the directory service's checks."""
from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from app import money
from app.doctor.photo import photo_fields
from app.extensions import db
from app.forms import Phone, SafeForm, StrongPassword
from app.models import HOSPITAL_ROLES, Department, Equipment, Hospital, Role, Specialty
from app.models.doctor import APPOINTMENT_KINDS
from app.models.hospital import ROOM_KINDS, parse_reminder_hours
from app.services.directory.catalogue import CURRENCY_MESSAGE, FEE_MESSAGES

SNAKE_CODE = Regexp(r"^[a-z_]+$", message=_l("Lower-case letters and underscores only, e.g. follow_up."))
ROLE_LABELS = {Role.PATIENT: _l("Patient"), Role.DOCTOR: _l("Doctor"), Role.NURSE: _l("Nurse"),
               Role.STAFF: _l("Staff"), Role.ADMIN: _l("Admin")}
KIND_LABELS = {"new": _l("New patient"), "follow_up": _l("Follow-up")}
ROOM_KIND_LABELS = {"consultation": _l("Consultation"), "operating_theatre": _l("Operating theatre"),
                    "vaccination": _l("Vaccination"), "imaging": _l("Imaging"), "treatment": _l("Treatment")}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def optional_int(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


@cache
def iana_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


class IanaZone:
    def __call__(self, form, field):
        if field.data not in iana_zones():
            raise ValidationError(_l("Enter an IANA time zone, e.g. Europe/London or Europe/Berlin."))


class MultipleOf:
    def __init__(self, step: int):
        self.step = step

    def __call__(self, form, field):
        if field.data is not None and field.data % self.step:
            raise ValidationError(_l("Use a multiple of %(n)s minutes.", n=self.step))


class LanguageList:
    """A comma list of ISO 639-1 codes; normalised to "en,de"."""

    def __call__(self, form, field):
        codes = [part.strip().lower() for part in (field.data or "").split(",") if part.strip()]
        if not codes or any(not re.fullmatch(r"[a-z]{2}", code) for code in codes):
            raise ValidationError(_l("Two-letter language codes separated by commas, e.g. en, de."))
        field.data = ",".join(dict.fromkeys(codes))
        if len(field.data) > 60:
            raise ValidationError(_l("Too many languages."))


class Fee:
    """An amount of money: whole cents, not negative, small enough to store (app/money.py)."""

    def __call__(self, form, field):
        problem = money.fee_problem(field.data) if field.data is not None else None
        if problem is not None:
            raise ValidationError(FEE_MESSAGES[problem])


class Currency:
    """An ISO 4217 code Babel knows; stored upper case."""

    def __call__(self, form, field):
        if field.data:
            field.data = field.data.upper()
            if not money.known_currency(field.data):
                raise ValidationError(CURRENCY_MESSAGE)


def payload(form: SafeForm, *names: str) -> dict:
    """The named fields' data, with empty optional text stored as NULL."""
    return {name: (None if getattr(form, name).data == "" else getattr(form, name).data) for name in names}


def hospital_choices(scope: set[int] | None) -> list[tuple[int, str]]:
    query = select(Hospital).order_by(Hospital.name)
    if scope is not None:
        query = query.where(Hospital.id.in_(scope))
    return [(h.id, h.name if h.active else f"{h.name} ({_l('deactivated')})") for h in db.session.scalars(query)]


def specialty_choices() -> list[tuple[int, str]]:
    return [(s.id, s.name if s.active else f"{s.name} ({_l('deactivated')})")
            for s in db.session.scalars(select(Specialty).order_by(Specialty.name))]


def equipment_choices() -> list[tuple[int, str]]:
    return [(e.id, e.name) for e in db.session.scalars(select(Equipment).order_by(Equipment.name))]


class HospitalForm(SafeForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=160)])
    city = StringField(_l("City"), filters=[strip], validators=[DataRequired(), Length(max=80)])
    country = StringField(_l("Country"), filters=[strip], description=_l("ISO 3166-1 code, e.g. GB or DE"),
                          validators=[DataRequired(), Regexp(r"^[A-Z]{2}$", message=_l(
                              "Two capital letters, e.g. GB or DE."))])
    address = TextAreaField(_l("Address"), filters=[strip], validators=[Optional(), Length(max=500)],
                            render_kw={"rows": 2})
    phone = StringField(_l("Phone"), validators=[Optional(), Phone()],
                        description=_l("International format, e.g. +44 20 7946 0958"))
    lat = FloatField(_l("Latitude"), validators=[InputRequired(), NumberRange(-90, 90)])
    lon = FloatField(_l("Longitude"), validators=[InputRequired(), NumberRange(-180, 180)])
    timezone = StringField(_l("Time zone"), filters=[strip], validators=[DataRequired(), IanaZone()],
                           description=_l("IANA name, e.g. Europe/London"), render_kw={"list": "iana-zones"})
    currency = StringField(_l("Currency"), filters=[strip], validators=[Optional(), Length(max=3), Currency()],
                           description=_l("ISO 4217 code of the hospital's fees, e.g. GBP or EUR. Leave empty for "
                                          "the country's currency."))
    reminder_hours = StringField(_l("Reminder hours"), filters=[strip], validators=[Optional(), Length(max=40)],
                                 description=_l("Hours before an appointment that reminders go out, e.g. 24,2. "
                                                "Leave empty for the region's default."))
    cancel_cutoff_hours = IntegerField(_l("Online changes close (hours before)"), default=24,
                                       validators=[InputRequired(), NumberRange(0, 24 * 14)],
                                       description=_l("Patients may cancel or move online until this many hours "
                                                      "before the start; later they call the hospital."))
    noshow_grace_minutes = IntegerField(_l("No-show after (minutes)"), default=30,
                                        validators=[InputRequired(), NumberRange(5, 24 * 60)],
                                        description=_l("A booked patient not checked in this long after the start "
                                                       "is marked as a no-show and the slot is freed."))
    offer_hold_minutes = IntegerField(_l("Waitlist offer hold (minutes)"), default=15,
                                      validators=[InputRequired(), NumberRange(5, 24 * 60)],
                                      description=_l("How long a freed slot is held for the patients it is offered "
                                                     "to before it moves on."))
    allow_self_declared_urgency = BooleanField(
        _l("Patients' own \"urgent\" opens the urgent slots"), default=False,
        description=_l("Off: a patient who says their need is urgent is shown to staff as such, but books only "
                       "the slots open to everyone; staff set the priority."))
    submit = SubmitField(_l("Save"))

    FIELDS = ("name", "city", "country", "address", "phone", "lat", "lon", "timezone", "currency", "reminder_hours",
              "cancel_cutoff_hours", "noshow_grace_minutes", "offer_hold_minutes", "allow_self_declared_urgency")

    def validate_reminder_hours(self, field):
        try:
            hours = parse_reminder_hours(field.data)
        except ValueError:
            raise ValidationError(_l("Whole hours between 1 and 336, separated by commas, e.g. 24,2.")) from None
        field.data = ",".join(str(h) for h in hours) if hours else ""  # stored tidy: "24,2"


class DepartmentForm(SafeForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    specialty_id = SelectField(_l("Specialty (optional)"), coerce=optional_int)
    submit = SubmitField(_l("Save"))

    FIELDS = ("name", "specialty_id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.specialty_id.choices = [("", "—")] + specialty_choices()


class RoomForm(SafeForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[(k, ROOM_KIND_LABELS.get(k, k)) for k in ROOM_KINDS])
    floor = StringField(_l("Floor (optional)"), filters=[strip], validators=[Optional(), Length(max=20)])
    department_id = SelectField(_l("Department (optional)"), coerce=optional_int)
    equipment_ids = SelectMultipleField(_l("Equipment"), coerce=int, render_kw={"size": 6},
                                        description=_l("Hold Ctrl (or Cmd) to choose several."))
    bookable = BooleanField(_l("Bookable (has its own schedule, e.g. a theatre)"))
    submit = SubmitField(_l("Save"))

    FIELDS = ("name", "kind", "floor", "department_id", "bookable", "equipment_ids")

    def __init__(self, hospital: Hospital, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = db.session.scalars(select(Department).where(Department.hospital_id == hospital.id)
                                         .order_by(Department.name))
        self.department_id.choices = [("", "—")] + [(d.id, d.name) for d in departments]
        self.equipment_ids.choices = equipment_choices()


class AppointmentTypeForm(SafeForm):
    code = StringField(_l("Code"), filters=[strip], validators=[DataRequired(), Length(max=40), SNAKE_CODE],
                       description=_l("What schedules and the API call it, e.g. follow_up"))
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in APPOINTMENT_KINDS])
    duration_minutes = IntegerField(_l("Duration (minutes)"),
                                    validators=[InputRequired(), NumberRange(5, 480), MultipleOf(5)],
                                    description=_l("5 to 480, in steps of 5"))
    fee = DecimalField(_l("Fee"), places=2, validators=[InputRequired(), NumberRange(min=0), Fee()])
    equipment_ids = SelectMultipleField(_l("Required equipment"), coerce=int, render_kw={"size": 6},
                                        description=_l("Hold Ctrl (or Cmd) to choose several."))
    # checked by the directory service (positive, within the booking horizon, how many): docs/operations.md
    reminder_offsets = StringField(_l("Reminders before the appointment"), filters=[strip],
                                   validators=[Length(max=80)], render_kw={"placeholder": "7d, 1d"})
    submit = SubmitField(_l("Save"))

    FIELDS = ("code", "name", "kind", "duration_minutes", "fee", "equipment_ids", "reminder_offsets")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.equipment_ids.choices = equipment_choices()


class SpecialtyForm(SafeForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=80)])
    code = StringField(_l("Code"), filters=[strip], description=_l("Three capital letters; token prefix, e.g. CAR"),
                       validators=[DataRequired(), Regexp(r"^[A-Z]{3}$", message=_l("Three capital letters."))])
    submit = SubmitField(_l("Save"))

    FIELDS = ("name", "code")


class EquipmentForm(SafeForm):
    code = StringField(_l("Code"), filters=[strip], validators=[DataRequired(), Length(max=40), SNAKE_CODE],
                       description=_l("e.g. ecg, ultrasound"))
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("Save"))

    FIELDS = ("code", "name")


class DoctorForm(SafeForm):
    name = StringField(_l("Full name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), filters=[strip], validators=[DataRequired(), Email(), Length(max=255)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), StrongPassword()],
                             description=_l("At least 10 characters; the doctor can change it later."))
    specialty_id = SelectField(_l("Specialty"), coerce=int)
    hospital_ids = SelectMultipleField(_l("Hospitals"), coerce=int, render_kw={"size": 6},
                                       description=_l("Hold Ctrl (or Cmd) to choose several."))
    qualifications = StringField(_l("Qualifications"), filters=[strip], validators=[Optional(), Length(max=255)])
    languages = StringField(_l("Languages"), default="en", validators=[LanguageList()],
                            description=_l("Two-letter codes separated by commas, e.g. en, de"))
    fee = DecimalField(_l("Fee"), places=2, default=0, validators=[InputRequired(), NumberRange(min=0), Fee()])
    bio = TextAreaField(_l("Biography"), filters=[strip], validators=[Optional(), Length(max=4000)],
                        render_kw={"rows": 4})
    submit = SubmitField(_l("Save"))

    PROFILE = ("specialty_id", "qualifications", "languages", "fee", "bio")

    def __init__(self, scope: set[int] | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.specialty_id.choices = specialty_choices()
        self.hospital_ids.choices = hospital_choices(scope)


class DoctorEditForm(DoctorForm):
    email = None  # the account's address is edited on the user page
    password = None
    photo_upload, remove_photo = photo_fields(
        _l("JPEG, PNG or WebP, at most 2 MB. Shown on the doctor's page and beside their free times."))
    multipart = True  # admin/form.html sends the file


class UserCreateForm(SafeForm):
    name = StringField(_l("Full name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), filters=[strip], validators=[DataRequired(), Email(), Length(max=255)])
    role = SelectField(_l("Role"))
    hospital_ids = SelectMultipleField(_l("Hospitals"), coerce=int, render_kw={"size": 6},
                                       description=_l("Required for staff, nurses and doctors; not for patients."))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), StrongPassword()],
                             description=_l("At least 10 characters; the person can change it later."))
    submit = SubmitField(_l("Create account"))

    def __init__(self, roles, scope: set[int] | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(str(r), ROLE_LABELS[r]) for r in roles]
        self.hospital_ids.choices = hospital_choices(scope)


class UserEditForm(SafeForm):
    name = StringField(_l("Full name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"))
    active = BooleanField(_l("Active (may log in)"))
    submit = SubmitField(_l("Save"))

    def __init__(self, roles, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(str(r), ROLE_LABELS[r]) for r in roles]


class MembershipForm(SafeForm):
    """Shares the user page with UserEditForm: the view gives it prefix="m" to keep their field ids apart."""

    hospital_id = SelectField(_l("Hospital"), coerce=int)
    role = SelectField(_l("Role at that hospital"), choices=[(str(r), ROLE_LABELS[r]) for r in HOSPITAL_ROLES])
    submit = SubmitField(_l("Add membership"))

    def __init__(self, scope: set[int] | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hospital_id.choices = hospital_choices(scope)


class OverbookRuleForm(SafeForm):
    """One level of an overbooking rule (docs/overbooking.md); the core refuses absurd numbers on their field."""

    doctor_id = SelectField(_l("Applies to"), coerce=int, validators=[InputRequired()])
    appointment_type = StringField(_l("Appointment type (empty: every type)"),
                                   validators=[Optional(), Length(max=40), SNAKE_CODE])
    max_extra = IntegerField(_l("Extra bookings per session (0: off)"), validators=[InputRequired()])
    alpha = FloatField(_l("Expected patients above capacity at most"), default=0.0, validators=[InputRequired()])
    low_risk = FloatField(_l("Never overbook a patient whose no-show chance is below"), default=0.15,
                          validators=[InputRequired()])
    submit = SubmitField(_l("Save rule"))
    # replays the rule over last month's sessions without saving it (docs/overbooking.md, "Preview")
    preview = SubmitField(_l("Preview the last 30 days"))
