"""Request and response shapes of the REST API."""
from marshmallow import Schema, fields, validate

URGENCY = validate.OneOf(["routine", "urgent"])


class IdName(Schema):
    id = fields.Int()
    name = fields.Str()


class SpecialtyList(Schema):
    specialties = fields.List(fields.Nested(IdName))


class HospitalOut(IdName):
    city = fields.Str()
    country = fields.Str()
    lat = fields.Float()
    lon = fields.Float()
    timezone = fields.Str()


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
    hospital = fields.Int()


class RuleSchema(Schema):
    weekday = fields.Int(required=True, validate=validate.Range(0, 6))
    start = fields.Time(required=True, format="%H:%M")
    end = fields.Time(required=True, format="%H:%M")
    kind = fields.Str(load_default="slots", validate=validate.OneOf(["slots", "tokens"]))
    slot_minutes = fields.Int(load_default=15)
    tokens_per_slot = fields.Int(load_default=1)
    appointment_types = fields.List(fields.Str(), load_default=list)
    room_id = fields.Int(allow_none=True, load_default=None)


class ScheduleSchema(Schema):
    hospital_id = fields.Int()
    rules = fields.List(fields.Nested(RuleSchema), required=True)
    horizon_days = fields.Int(load_default=60)
    daily_limit = fields.Int(allow_none=True, load_default=None)
    min_notice_minutes = fields.Int(load_default=60)
    buffer_minutes = fields.Int(load_default=0)
    urgent_share = fields.Float(load_default=0.0)
    urgent_release_hours = fields.Int(load_default=24)
    valid_from = fields.Date()
    valid_till = fields.Date(allow_none=True, load_default=None)


class ScheduleQuery(Schema):
    hospital = fields.Int()


class ExceptionIn(Schema):
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    available = fields.Bool(load_default=False)
    reason = fields.Str(load_default="", validate=validate.Length(max=255))
    hospital_id = fields.Int()


class ExceptionOut(Schema):
    id = fields.Int()
    hospital_id = fields.Int()
    start = fields.Str()
    end = fields.Str()
    available = fields.Bool()
    reason = fields.Str()


class SlotQuerySchema(Schema):
    specialty = fields.Str()
    hospital = fields.Int()
    doctor = fields.Int()
    near = fields.Str()
    radius_km = fields.Float()
    urgency = fields.Str(load_default="routine", validate=URGENCY)
    appointment_type = fields.Str()
    language = fields.Str(validate=validate.Length(equal=2))
    limit = fields.Int(load_default=50, validate=validate.Range(1, 500))

    class Meta:
        # `from` is a Python keyword: read it and `to` as plain strings
        include = {"from": fields.Str(), "to": fields.Str()}


class SlotOut(Schema):
    doctor_id = fields.Int()
    hospital_id = fields.Int()
    start = fields.Str()
    end = fields.Str()
    appointment_type = fields.Str()
    seats_left = fields.Int()
    distance_km = fields.Float(allow_none=True)


class SlotList(Schema):
    slots = fields.List(fields.Nested(SlotOut))


class AppointmentIn(Schema):
    doctor_id = fields.Int(required=True)
    start = fields.DateTime(required=True)
    appointment_type = fields.Str()
    patient_id = fields.Int()
    hospital_id = fields.Int()
    urgency = fields.Str(load_default="routine", validate=URGENCY)
    reason = fields.Str(validate=validate.Length(max=2000))


class AppointmentOut(Schema):
    id = fields.Int()
    status = fields.Str()
    start = fields.Str()
    end = fields.Str()
    doctor_id = fields.Int()
    patient_id = fields.Int()
    hospital_id = fields.Int()
    appointment_type = fields.Str()
    urgency = fields.Str()
    reason = fields.Str(allow_none=True)
    cancel_reason = fields.Str(allow_none=True)


class AppointmentList(Schema):
    appointments = fields.List(fields.Nested(AppointmentOut))


class AppointmentQuery(Schema):
    mine = fields.Bool()
    doctor_id = fields.Int()
    date = fields.Date()
    status = fields.Str()


class CancelIn(Schema):
    reason = fields.Str(load_default="", validate=validate.Length(max=2000))


class RescheduleIn(Schema):
    start = fields.DateTime(required=True)
