"""All models, imported here so Alembic and the app see one metadata."""
from app.models.audit import AuditEvent
from app.models.doctor import AppointmentType, Doctor, appointment_type_equipment, doctor_hospitals
from app.models.hospital import Department, Equipment, Hospital, Room, Specialty, room_equipment
from app.models.patient import Patient
from app.models.scheduling import (Appointment, AvailabilityException, AvailabilityRule, Claim, DayCounter,
                                     Schedule, SchedulableResource, TokenSlot)
from app.models.user import HOSPITAL_ROLES, ApiToken, Membership, Role, User

__all__ = [
    "ApiToken", "Appointment", "AppointmentType", "AvailabilityException", "AvailabilityRule", "Claim",
    "DayCounter", "Schedule", "SchedulableResource", "TokenSlot", "AuditEvent", "Department", "Doctor", "Equipment", "HOSPITAL_ROLES",
    "Hospital", "Membership", "Patient", "Role", "Room", "Specialty", "User",
    "appointment_type_equipment", "doctor_hospitals", "room_equipment",
]
