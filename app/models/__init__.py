"""All models, imported here so Alembic and the app see one metadata."""
from app.models.audit import AuditEvent
from app.models.cache import CacheVersion
from app.models.doctor import AppointmentType, Doctor, appointment_type_equipment, doctor_hospitals
from app.models.federation import ExternalBooking, ExternalSlot, FederationSource
from app.models.hospital import Department, Equipment, Hospital, Room, Specialty, room_equipment
from app.models.message import Message, MessageAttachment, MessageThread
from app.models.notice import StaffNotice
from app.models.outbox import OutboxMessage
from app.models.overbooking import OverbookRule
from app.models.patient import Patient
from app.models.payment import Payment, PaymentSettings, StripeEvent
from app.models.queue import Encounter, Queue, QueueCounter, QueueEntry, Vitals
from app.models.rating import DoctorRating, VisitFeedback
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
    SentReminder,
    TokenSlot,
)
from app.models.series import Series
from app.models.stats import AccessStat, DailyStat, StatTotal
from app.models.team import Participant, TeamTemplate
from app.models.user import HOSPITAL_ROLES, ApiToken, LoginThrottle, Membership, Role, User, UserSession
from app.models.waitlist import Offer, WaitlistEntry

__all__ = [
    "HOSPITAL_ROLES", "ApiToken", "Appointment", "AppointmentType", "AuditEvent", "AvailabilityException",
    "AvailabilityRule", "CacheVersion", "Claim", "DayCounter", "Department", "Doctor", "DoctorRating",
    "Encounter", "Equipment", "ExternalBooking", "ExternalSlot", "FederationSource",
    "Hospital", "IndexedSlot",
    "AccessStat", "DailyStat", "StatTotal",
    "LocationAccess", "LoginThrottle", "Membership", "Message", "MessageAttachment", "MessageThread", "Offer",
    "OutboxMessage", "OverbookRule", "Patient", "Payment",
    "Participant", "PaymentSettings", "Queue", "QueueCounter", "QueueEntry", "Role", "Room", "SchedulableResource",
    "Schedule", "SentReminder", "Series",
    "Specialty", "StaffNotice", "StripeEvent", "TeamTemplate", "TokenSlot", "User",
    "UserSession", "VisitFeedback", "Vitals",
    "WaitlistEntry", "appointment_type_equipment", "doctor_hospitals", "room_equipment",
]
