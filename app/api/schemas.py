"""Request and response shapes of the REST API."""
import marshmallow
from marshmallow import ValidationError, fields, pre_load, validate

from app.text import text_problem

URGENCY = validate.OneOf(["routine", "urgent"])
MAX_ID = 2**63 - 1  # the widest integer SQLite and a BIGINT column hold
MULTILINE = {"multiline": True}  # a text field that keeps its line breaks (reasons, comments)


class Schema(marshmallow.Schema):
    """Every API shape: text the caller sends carries no control characters or bidi overrides, and no line
    breaks unless the field is multi-line; the same rule as the pages' forms (docs/security.md)."""

    @pre_load
    def refuse_control_characters(self, data, **_kwargs):
        if not isinstance(data, dict):
            return data
        problems = {}
        for name, field in self.load_fields.items():
            value = data.get(field.data_key or name)
            if isinstance(field, fields.String) and isinstance(value, str):
                problem = text_problem(value, multiline=bool(field.metadata.get("multiline")))
                if problem:
                    problems[field.data_key or name] = [problem]
        if problems:
            raise ValidationError(problems)
        return data


class Id(fields.Int):
    """A row id sent by the caller: 1 to MAX_ID (422 otherwise; past it the database drivers overflow)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


# Dates and times the caller sends stay well inside datetime's range, so time zones and day arithmetic cannot
# overflow (year 9999 at UTC-14 is past datetime.max in UTC).
FIRST_YEAR, LAST_YEAR = 1900, 2999
YEARS = f"Must be between the years {FIRST_YEAR} and {LAST_YEAR}."


class Instant(fields.DateTime):
    """An ISO 8601 date-time from FIRST_YEAR to LAST_YEAR."""

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= instant.year <= LAST_YEAR:
            raise ValidationError(YEARS)
        return instant


class Day(fields.Date):
    """An ISO 8601 date (YYYY-MM-DD) from FIRST_YEAR to LAST_YEAR."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationError(YEARS)
        return day


class ApiError(Schema):
    """Every error body (app/errors.py): {"error": code, "message": text, "fields": {name: message}}."""

    error = fields.Str(required=True)
    message = fields.Str(required=True)
    fields_ = fields.Dict(keys=fields.Str(), values=fields.Str(), required=True, data_key="fields")


class IdName(Schema):
    id = fields.Int()
    name = fields.Str()


class Health(Schema):
    status = fields.Str()


class SpecialtyList(Schema):
    specialties = fields.List(fields.Nested(IdName))


class HospitalOut(IdName):
    city = fields.Str()
    country = fields.Str()
    lat = fields.Float()
    lon = fields.Float()
    timezone = fields.Str()
    currency = fields.Str()  # ISO 4217: what the hospital's fees are in


class HospitalList(Schema):
    hospitals = fields.List(fields.Nested(HospitalOut))


class DoctorOut(IdName):
    specialty_id = fields.Int()
    specialty = fields.Str()
    hospital_ids = fields.List(fields.Int())
    languages = fields.List(fields.Str())
    fee = fields.Str()


class DoctorList(Schema):
    doctors = fields.List(fields.Nested(DoctorOut))


class DoctorQuery(Schema):
    specialty = fields.Str()
    hospital = Id()


class RuleSchema(Schema):
    weekday = fields.Int(required=True, validate=validate.Range(0, 6))
    start = fields.Time(required=True, format="%H:%M")
    end = fields.Time(required=True, format="%H:%M")
    kind = fields.Str(load_default="slots", validate=validate.OneOf(["slots", "tokens"]))
    slot_minutes = fields.Int(load_default=15)
    tokens_per_slot = fields.Int(load_default=1)
    appointment_types = fields.List(fields.Str(), load_default=list)
    room_id = Id(allow_none=True, load_default=None)


class ScheduleSchema(Schema):
    hospital_id = Id()
    rules = fields.List(fields.Nested(RuleSchema), required=True)
    horizon_days = fields.Int(load_default=60)
    daily_limit = fields.Int(allow_none=True, load_default=None, validate=validate.Range(1, 10_000))
    min_notice_minutes = fields.Int(load_default=60, validate=validate.Range(0, 525_600))  # up to a year
    buffer_minutes = fields.Int(load_default=0, validate=validate.Range(0, 1440))
    urgent_share = fields.Float(load_default=0.0)
    urgent_release_hours = fields.Int(load_default=24, validate=validate.Range(0, 8760))
    valid_from = Day()
    valid_till = Day(allow_none=True, load_default=None)


class ScheduleOut(ScheduleSchema):
    """A schedule as read back; a doctor with none yet has no rules and nulls for the rest."""

    horizon_days = fields.Int(allow_none=True)
    valid_from = fields.Date(allow_none=True)


class ScheduleQuery(Schema):
    hospital = Id()


class ExceptionIn(Schema):
    start = Instant(required=True)
    end = Instant(required=True)
    available = fields.Bool(load_default=False)
    reason = fields.Str(load_default="", validate=validate.Length(max=255))
    hospital_id = Id()


class ExceptionOut(Schema):
    id = fields.Int()
    hospital_id = fields.Int()
    start = fields.Str()
    end = fields.Str()
    available = fields.Bool()
    reason = fields.Str()


class RoomSessionIn(Schema):
    """One weekly session of a room (docs/rooms.md); it applies from `valid_from` (default: the room's today)."""

    weekday = fields.Int(required=True, validate=validate.Range(0, 6))
    start = fields.Time(required=True, format="%H:%M")
    end = fields.Time(required=True, format="%H:%M")
    slot_minutes = fields.Int(load_default=30)
    valid_from = Day()


class RoomSessionOut(Schema):
    id = fields.Int()
    weekday = fields.Int()
    start = fields.Time(format="%H:%M")
    end = fields.Time(format="%H:%M")
    slot_minutes = fields.Int()


class RoomSessionsOut(Schema):
    """The room's weekly sessions in force today, and its closures and extra sessions not yet over."""

    room_id = fields.Int()
    hospital_id = fields.Int()
    valid_from = fields.Date(allow_none=True)
    valid_till = fields.Date(allow_none=True)
    sessions = fields.List(fields.Nested(RoomSessionOut))
    exceptions = fields.List(fields.Nested(ExceptionOut))


class RoomExceptionIn(Schema):
    """A closure (`available` false) or an extra session (true) of the room, in its hospital's time if naive."""

    start = Instant(required=True)
    end = Instant(required=True)
    available = fields.Bool(load_default=False)
    reason = fields.Str(load_default="", validate=validate.Length(max=255))


class SlotQuerySchema(Schema):
    specialty = fields.Str()
    hospital = Id()
    doctor = Id()
    near = fields.Str()
    radius_km = fields.Float()
    urgency = fields.Str(load_default="routine", validate=URGENCY)
    appointment_type = fields.Str()
    language = fields.Str(validate=validate.Length(equal=2))
    limit = fields.Int(load_default=50, validate=validate.Range(1, 500))
    sort = fields.Str(load_default="earliest", validate=validate.OneOf(("earliest", "best")),
                      metadata={"description": "earliest (the default) or best: the same slots ranked best for "
                                               "the caller (docs/optimiser.md)"})
    times = fields.Str(metadata={"description": "with sort=best: preferred times of day, comma-separated "
                                                "(morning, afternoon, evening)"})

    class Meta:
        # `from` is a Python keyword: read it and `to` as plain strings
        include = {"from": fields.Str(), "to": fields.Str()}


class SlotSource(Schema):
    name = fields.Str()
    fetched_at = fields.Str()


class SlotOut(Schema):
    doctor_id = fields.Int(allow_none=True)  # null for another system's slot
    hospital_id = fields.Int(allow_none=True)
    start = fields.Str()
    end = fields.Str()
    appointment_type = fields.Str()
    seats_left = fields.Int()
    distance_km = fields.Float(allow_none=True)
    doctor_rating_average = fields.Float(allow_none=True, metadata={
        "description": "Average of the doctor's approved ratings (1-5, one decimal); null without any."})
    doctor_rating_count = fields.Int(metadata={"description": "How many approved ratings the average is of."})
    source = fields.Nested(SlotSource)  # only on another system's slot (docs/federation.md)
    score = fields.Float(metadata={"description": "sort=best only: the best-fit score in [0, 1]"})


class SlotList(Schema):
    slots = fields.List(fields.Nested(SlotOut))


class AppointmentIn(Schema):
    doctor_id = Id(required=True)
    start = Instant(required=True)
    appointment_type = fields.Str()
    patient_id = Id()
    hospital_id = Id()
    urgency = fields.Str(load_default="routine", validate=URGENCY)
    reason = fields.Str(validate=validate.Length(max=2000), metadata=MULTILINE)


class AppointmentOut(Schema):
    id = fields.Int()
    status = fields.Str()
    start = fields.Str()
    end = fields.Str()
    doctor_id = fields.Int(allow_none=True)  # none: a room booking
    patient_id = fields.Int(allow_none=True)  # none: a slot held for a waitlist offer (status "held")
    hospital_id = fields.Int()
    appointment_type = fields.Str()
    urgency = fields.Str()  # set by staff: what the queue's default priority follows
    urgency_by_patient = fields.Str(allow_none=True)  # what the patient stated when booking themselves
    reason = fields.Str(allow_none=True)
    cancel_reason = fields.Str(allow_none=True)
    # what the booking charges, kept as it was at booking: a decimal string ("80.00") and its ISO 4217 code
    fee = fields.Str(allow_none=True)
    currency = fields.Str(allow_none=True)
    confirmed = fields.Bool()  # the patient confirmed they are coming (a reminder's link or the API)


class AppointmentList(Schema):
    appointments = fields.List(fields.Nested(AppointmentOut))


class AppointmentQuery(Schema):
    mine = fields.Bool()
    doctor_id = Id()
    date = Day()
    status = fields.Str()


class CancelIn(Schema):
    reason = fields.Str(load_default="", validate=validate.Length(max=2000), metadata=MULTILINE)


class RescheduleIn(Schema):
    start = Instant(required=True)


class ReminderOffsetsIn(Schema):
    offsets = fields.Str(required=True, allow_none=True, validate=validate.Length(max=80),
                         metadata={"description": 'Days or hours before the start, e.g. "7d, 1d" or "2h"; null or '
                                                  'empty: the default'})


class ReminderOffsetsOut(Schema):
    appointment_type_id = fields.Int()
    hospital_id = fields.Int()
    code = fields.Str()
    offsets = fields.Str(allow_none=True, metadata={"description": "the type's own offsets; null: the default"})
    hours = fields.List(fields.Int(), metadata={"description": "the hours before the start that apply now"})
    horizon_days = fields.Int(metadata={"description": "the booking horizon no offset may exceed"})
