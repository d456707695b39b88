"""Hospital directory operations: doctors and their schedulable resources, and the admin's write operations.

The write operations follow one pattern (indico style): check, change, flush, write exactly one audit event, and
leave the commit to the caller. A refusal is a DirectoryError naming the form field it belongs to.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import money
from app.extensions import db
from app.models import (
    AppointmentType,
    Department,
    Doctor,
    Equipment,
    Hospital,
    Room,
    SchedulableResource,
    Schedule,
    Specialty,
    User,
)
from app.models.hospital import parse_reminder_hours
from app.scheduling import Policy
from app.scheduling import reminders as offsets_core
from app.services import audit
from app.services.accounts import sessions

DEFAULT_SPECIALTY = ("General practice", "GEN")


def default_specialty() -> Specialty:
    specialty = db.session.scalar(select(Specialty).where(Specialty.code == DEFAULT_SPECIALTY[1]))
    if specialty is None:
        specialty = Specialty(name=DEFAULT_SPECIALTY[0], code=DEFAULT_SPECIALTY[1])
        db.session.add(specialty)
        db.session.flush()
    return specialty


def create_doctor_profile(user: User, hospital_id: int | None, specialty_id: int | None = None, **fields) -> Doctor:
    """A doctor's profile and the resource that bookings claim; the caller commits."""
    doctor = Doctor(user_id=user.id, specialty_id=specialty_id or default_specialty().id, **fields)
    if hospital_id is not None:
        doctor.hospitals.append(db.session.get(Hospital, hospital_id))
    db.session.add(doctor)
    db.session.flush()
    db.session.add(SchedulableResource(kind="doctor", doctor_id=doctor.id))
    return doctor


# --- administration: create, edit, (de)activate; each operation flushes, writes one audit event, never commits ---

class DirectoryError(Exception):
    """A refusal the admin form shows beside `field` (or above the form when field is None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


@dataclass(frozen=True)
class _Kind:
    target_type: str
    fields: tuple[str, ...]


_KINDS: dict[type, _Kind] = {
    Hospital: _Kind("hospital", ("name", "city", "country", "address", "phone", "lat", "lon", "timezone", "currency",
                                 "active",
                                 "reminder_hours", "cancel_cutoff_hours", "noshow_grace_minutes",
                                 "offer_hold_minutes", "allow_self_declared_urgency")),
    Department: _Kind("department", ("name", "specialty_id", "active")),
    Room: _Kind("room", ("name", "kind", "floor", "bookable", "department_id", "active")),
    AppointmentType: _Kind("appointment_type", ("code", "name", "kind", "duration_minutes", "fee", "active",
                                                     "reminder_offsets")),
    Specialty: _Kind("specialty", ("name", "code", "active")),
    Equipment: _Kind("equipment", ("code", "name")),
    Doctor: _Kind("doctor", ("specialty_id", "qualifications", "languages", "fee", "bio", "photo", "active")),
    User: _Kind("user", ("email", "name", "role", "active")),
}


def snapshot_of(obj) -> dict:
    """What an audit event keeps of a record, including the links an admin edits with it."""
    out = audit.snapshot(obj, _KINDS[type(obj)].fields)
    if isinstance(obj, (Room, AppointmentType)):
        out["equipment"] = sorted(e.code for e in obj.equipment)
    elif isinstance(obj, Doctor):
        out.update(name=obj.user.name, email=obj.user.email, hospital_ids=sorted(h.id for h in obj.hospitals))
    elif isinstance(obj, User):
        out["memberships"] = sorted(f"{m.hospital_id}:{m.role}" for m in obj.memberships)
    return out


def _audit_hospital(actor: User, obj) -> int | None:
    """The hospital an event is filed under, so that hospital admins find it in their audit log."""
    if isinstance(obj, Hospital):
        return obj.id
    if isinstance(obj, Doctor):
        ids = {h.id for h in obj.hospitals}
    elif isinstance(obj, User):
        ids = obj.hospital_ids
    else:
        return getattr(obj, "hospital_id", None)
    if not ids:
        return None
    return min(ids & actor.hospital_ids or ids)


def record_change(actor: User, obj, action: str, before: dict | None = None):
    db.session.flush()
    kind = _KINDS[type(obj)]
    audit.record(actor.id, f"{kind.target_type}.{action}", kind.target_type, obj.id,
                 hospital_id=_audit_hospital(actor, obj), before=before, after=snapshot_of(obj))
    return obj


def assign_fields(obj, fields: dict) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


def _taken(column, value: str | None, exclude_id: int | None = None, *where) -> bool:
    """Case-insensitive, so SQLite answers as MariaDB's default collation does."""
    if value is None:
        return False
    model = column.class_
    query = select(model.id).where(func.lower(column) == value.strip().lower(), *where)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def _equipment(ids) -> list[Equipment]:
    ids = sorted(set(ids or ()))
    found = list(db.session.scalars(select(Equipment).where(Equipment.id.in_(ids)).order_by(Equipment.code))) \
        if ids else []
    if len(found) != len(ids):
        raise DirectoryError(_l("Unknown equipment."), "equipment_ids")
    return found


def hospitals_by_id(ids) -> list[Hospital]:
    ids = sorted(set(ids or ()))
    found = list(db.session.scalars(select(Hospital).where(Hospital.id.in_(ids)).order_by(Hospital.name))) \
        if ids else []
    if len(found) != len(ids):
        raise DirectoryError(_l("Unknown hospital."), "hospital_ids")
    return found


def set_active(actor: User, obj, active: bool) -> None:
    """Deactivate or reactivate any directory record; a doctor and their account go together."""
    if isinstance(obj, Equipment):
        raise DirectoryError(_l("Equipment cannot be deactivated."))
    if isinstance(obj, User) and obj.id == actor.id and not active:
        raise DirectoryError(_l("You cannot deactivate your own account."))
    before = snapshot_of(obj)
    obj.active = active
    account = None
    if isinstance(obj, Doctor):
        obj.user.active = active
        account = obj.user
    elif isinstance(obj, User):
        profile = db.session.scalar(select(Doctor).where(Doctor.user_id == obj.id))
        if profile is not None:
            profile.active = active
        account = obj
    if account is not None and not active:
        sessions.end_all(account)  # a deactivated account's sessions end at once (docs/security.md, "Sessions")
    record_change(actor, obj, "reactivate" if active else "deactivate", before)


# hospitals and what they are made of

def _check_hospital(fields: dict, hospital: Hospital | None = None) -> None:
    if _taken(Hospital.name, fields.get("name"), hospital.id if hospital else None):
        raise DirectoryError(_l("A hospital with this name already exists."), "name")


FEE_MESSAGES = {
    money.NEGATIVE: _l("A fee cannot be negative."),
    money.TOO_PRECISE: _l("Use at most two decimal places, e.g. 80.50."),
    money.TOO_LARGE: _l("This fee is too large."),
    money.NOT_A_NUMBER: _l("Enter an amount, e.g. 80.00."),
}
CURRENCY_MESSAGE = _l("Enter an ISO 4217 currency code, e.g. GBP or EUR.")


def check_fee(fields: dict, name: str = "fee") -> None:
    """A fee the admin sets: not negative, whole cents (app/money.py); every entry point gets the same answer."""
    if fields.get(name) is None:
        return
    problem = money.fee_problem(fields[name])
    if problem is not None:
        raise DirectoryError(FEE_MESSAGES[problem], name)


def _currency(fields: dict, hospital: Hospital | None = None) -> None:
    """A known ISO 4217 code, written upper case; none given: the country's (GBP in GB, EUR in DE)."""
    code = (fields.get("currency") or "").strip().upper()
    if not code and "currency" in fields:
        code = money.currency_of_country(fields.get("country") or (hospital.country if hospital else None))
    if code:
        if not money.known_currency(code):
            raise DirectoryError(CURRENCY_MESSAGE, "currency")
        fields["currency"] = code


def create_hospital(actor: User, **fields) -> Hospital:
    _check_hospital(fields)
    _currency(fields)
    hospital = Hospital(**fields)
    db.session.add(hospital)
    return record_change(actor, hospital, "create")


def update_hospital(actor: User, hospital: Hospital, **fields) -> Hospital:
    _check_hospital(fields, hospital)
    _currency(fields, hospital)
    before = snapshot_of(hospital)
    assign_fields(hospital, fields)
    return record_change(actor, hospital, "update", before)


def _check_department(hospital_id: int, fields: dict, department: Department | None = None) -> None:
    if _taken(Department.name, fields.get("name"), department.id if department else None,
              Department.hospital_id == hospital_id):
        raise DirectoryError(_l("This hospital already has a department with this name."), "name")


def create_department(actor: User, hospital: Hospital, **fields) -> Department:
    _check_department(hospital.id, fields)
    department = Department(hospital_id=hospital.id, **fields)
    db.session.add(department)
    return record_change(actor, department, "create")


def update_department(actor: User, department: Department, **fields) -> Department:
    _check_department(department.hospital_id, fields, department)
    before = snapshot_of(department)
    assign_fields(department, fields)
    return record_change(actor, department, "update", before)


def _check_room(hospital_id: int, fields: dict, room: Room | None = None) -> None:
    if _taken(Room.name, fields.get("name"), room.id if room else None, Room.hospital_id == hospital_id):
        raise DirectoryError(_l("This hospital already has a room with this name."), "name")
    department_id = fields.get("department_id")
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None or department.hospital_id != hospital_id:
            raise DirectoryError(_l("Choose a department of this hospital."), "department_id")


def create_room(actor: User, hospital: Hospital, equipment_ids=(), **fields) -> Room:
    _check_room(hospital.id, fields)
    room = Room(hospital_id=hospital.id, **fields)
    room.equipment = _equipment(equipment_ids)
    db.session.add(room)
    return record_change(actor, room, "create")


def update_room(actor: User, room: Room, equipment_ids=(), **fields) -> Room:
    _check_room(room.hospital_id, fields, room)
    equipment = _equipment(equipment_ids)
    before = snapshot_of(room)
    assign_fields(room, fields)
    room.equipment = equipment
    return record_change(actor, room, "update", before)


# reminder offsets of an appointment type (docs/operations.md, "Reminders")
OFFSET_MESSAGES = {  # functions, so that each literal stays in its _l() for the catalogue
    "unreadable": lambda **p: _l("\"%(part)s\" is not an offset: write a number of days or hours, e.g. 7d, 1d "
                                 "or 2h.", **p),
    "not_positive": lambda **p: _l("\"%(part)s\": a reminder must come before the appointment (more than 0).",
                                   **p),
    "beyond_horizon": lambda **p: _l("\"%(part)s\" is longer than the booking horizon of %(days)s days: nobody "
                                     "books that far ahead, so this reminder would never go out.", **p),
    "repeated": lambda **p: _l("\"%(part)s\" is given twice.", **p),
    "too_many": lambda **p: _l("At most %(most)s reminders per appointment.", **p),
}


def booking_horizon_days(hospital_id: int) -> int:
    """How far ahead the hospital's patients can book: its schedules' longest horizon (the default without any)."""
    longest = db.session.scalar(select(func.max(Schedule.horizon_days)).where(Schedule.hospital_id == hospital_id))
    return longest or Policy().horizon_days


def check_reminder_offsets(hospital_id: int, text: str | None) -> str | None:
    """The stored form of "7d, 1d" ("168,24"), None for blank; DirectoryError on the field otherwise."""
    try:
        return offsets_core.stored(offsets_core.parse_offsets(text, booking_horizon_days(hospital_id)))
    except offsets_core.OffsetError as err:
        raise DirectoryError(OFFSET_MESSAGES[err.code](**err.params), "reminder_offsets") from None


def default_reminder_hours(hospital: Hospital, setting: tuple[int, ...]) -> tuple[int, ...]:
    """What a type without its own offsets gets: the hospital's reminder hours, else the REMINDER_HOURS setting."""
    try:
        return parse_reminder_hours(hospital.reminder_hours) or tuple(sorted(setting, reverse=True))
    except ValueError:
        return tuple(sorted(setting, reverse=True))


def set_reminder_offsets(actor: User, appointment_type: AppointmentType, text: str | None) -> AppointmentType:
    """Only the offsets (the REST API's PUT); blank returns the type to the default."""
    value = check_reminder_offsets(appointment_type.hospital_id, text)
    before = snapshot_of(appointment_type)
    appointment_type.reminder_offsets = value
    return record_change(actor, appointment_type, "update", before)


def _check_appointment_type(hospital_id: int, fields: dict, existing: AppointmentType | None = None) -> None:
    check_fee(fields)
    if "reminder_offsets" in fields:
        fields["reminder_offsets"] = check_reminder_offsets(hospital_id, fields["reminder_offsets"])
    if _taken(AppointmentType.code, fields.get("code"), existing.id if existing else None,
              AppointmentType.hospital_id == hospital_id):
        raise DirectoryError(_l("This hospital already has an appointment type with this code."), "code")


def create_appointment_type(actor: User, hospital: Hospital, equipment_ids=(), **fields) -> AppointmentType:
    _check_appointment_type(hospital.id, fields)
    appointment_type = AppointmentType(hospital_id=hospital.id, **fields)
    appointment_type.equipment = _equipment(equipment_ids)
    db.session.add(appointment_type)
    return record_change(actor, appointment_type, "create")


def update_appointment_type(actor: User, appointment_type: AppointmentType, equipment_ids=(),
                            **fields) -> AppointmentType:
    _check_appointment_type(appointment_type.hospital_id, fields, appointment_type)
    equipment = _equipment(equipment_ids)
    before = snapshot_of(appointment_type)
    assign_fields(appointment_type, fields)
    appointment_type.equipment = equipment
    return record_change(actor, appointment_type, "update", before)


# the region's catalogue

def _check_specialty(fields: dict, specialty: Specialty | None = None) -> None:
    exclude = specialty.id if specialty else None
    if _taken(Specialty.name, fields.get("name"), exclude):
        raise DirectoryError(_l("A specialty with this name already exists."), "name")
    if _taken(Specialty.code, fields.get("code"), exclude):
        raise DirectoryError(_l("A specialty with this code already exists."), "code")


def create_specialty(actor: User, **fields) -> Specialty:
    _check_specialty(fields)
    specialty = Specialty(**fields)
    db.session.add(specialty)
    return record_change(actor, specialty, "create")


def update_specialty(actor: User, specialty: Specialty, **fields) -> Specialty:
    _check_specialty(fields, specialty)
    before = snapshot_of(specialty)
    assign_fields(specialty, fields)
    return record_change(actor, specialty, "update", before)


def _check_equipment(fields: dict, equipment: Equipment | None = None) -> None:
    if _taken(Equipment.code, fields.get("code"), equipment.id if equipment else None):
        raise DirectoryError(_l("Equipment with this code already exists."), "code")


def create_equipment(actor: User, **fields) -> Equipment:
    _check_equipment(fields)
    equipment = Equipment(**fields)
    db.session.add(equipment)
    return record_change(actor, equipment, "create")


def update_equipment(actor: User, equipment: Equipment, **fields) -> Equipment:
    _check_equipment(fields, equipment)
    before = snapshot_of(equipment)
    assign_fields(equipment, fields)
    return record_change(actor, equipment, "update", before)
