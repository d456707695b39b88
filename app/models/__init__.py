"""All models, imported here so Alembic and the app see one metadata."""
from app.models.audit import AuditEvent
from app.models.cache import CacheVersion
from app.models.doctor import AppointmentType, Doctor, appointment_type_equipment, doctor_hospitals
from app.models.hospital import Department, Equipment, Hospital, Room, Specialty, room_equipment
from app.models.message import Message, MessageAttachment, MessageThread
from app.models.notice import StaffNotice
from app.models.outbox import OutboxMessage
from app.models.overbooking import OverbookRule
from app.models.patient import Patient
from app.models.payment import Payment, PaymentSettings, StripeEvent
from app.models.queue import Encounter, Queue, QueueCounter, QueueEntry, Vitals
from app.models.scheduling import (
    Appointment,
    AvailabilityException,
    AvailabilityRule,
    Claim,
    DayCounter,
    IndexedSlot,
    LocationAccess,
    SchedulableResource,
    Schedule,
    TokenSlot,
)
from app.models.stats import AccessStat, DailyStat
from app.models.user import HOSPITAL_ROLES, ApiToken, LoginThrottle, Membership, Role, User, UserSession
from app.models.waitlist import Offer, WaitlistEntry

__all__ = [
    "HOSPITAL_ROLES", "ApiToken", "Appointment", "AppointmentType", "AuditEvent", "AvailabilityException",
    "AvailabilityRule", "CacheVersion", "Claim", "DayCounter", "Department", "Doctor", "Encounter", "Equipment",
    "Hospital", "IndexedSlot",
    "AccessStat", "DailyStat",
    "LocationAccess", "LoginThrottle", "Membership", "Message", "MessageAttachment", "MessageThread", "Offer",
    "OutboxMessage", "OverbookRule", "Patient", "Payment",
    "PaymentSettings", "Queue", "QueueCounter", "QueueEntry", "Role", "Room", "SchedulableResource", "Schedule",
    "Specialty", "StaffNotice", "StripeEvent", "TokenSlot", "User",
    "UserSession", "Vitals", "WaitlistEntry", "appointment_type_equipment", "doctor_hospitals", "room_equipment",
]
