"""The directory: hospitals, departments, rooms, equipment, specialties, doctors, staff and patients."""
from app.services.directory import choices, patients, people, policy  # noqa: F401  (modules of the public face)
from app.services.directory.catalogue import (
    DirectoryError,
    booking_horizon_days,
    create_appointment_type,
    create_department,
    create_doctor_profile,
    create_equipment,
    create_hospital,
    create_room,
    create_specialty,
    default_reminder_hours,
    set_active,
    set_reminder_offsets,
    update_appointment_type,
    update_department,
    update_equipment,
    update_hospital,
    update_room,
    update_specialty,
)
from app.services.directory.choosable import choosable_doctor, choosable_patient

__all__ = [
    "DirectoryError", "booking_horizon_days", "choices", "default_reminder_hours", "set_reminder_offsets",
    "choosable_doctor", "choosable_patient",
    "create_appointment_type", "create_department", "create_doctor_profile",
    "create_equipment", "create_hospital", "create_room", "create_specialty", "patients", "people", "policy",
    "set_active", "update_appointment_type", "update_department", "update_equipment", "update_hospital", "update_room",
    "update_specialty"
]
