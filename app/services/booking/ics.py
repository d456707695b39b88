"""An appointment as an iCalendar (.ics) file, for "Add to calendar" (built by app.notifications.ics).

The UID is stable per appointment, so a calendar that imports the file again after a move or a cancellation updates
the same event instead of adding a second one; SEQUENCE grows with each change.
"""
from __future__ import annotations

from datetime import datetime

from app.models import Appointment
from app.models.base import utcnow
from app.notifications.ics import appointment_uid, build
from app.scheduling.codes import Status


def appointment_ics(appointment: Appointment, *, url: str | None = None, sequence: int = 0,
                    now: datetime | None = None) -> bytes:
    """One VEVENT in a VCALENDAR (METHOD:PUBLISH); a cancelled appointment is published as STATUS:CANCELLED."""
    who = appointment.doctor.name if appointment.doctor else (appointment.room.name if appointment.room else "")
    hospital = appointment.hospital
    lines = [f"Type: {appointment.appointment_type.replace('_', ' ')}"]
    if appointment.reason:
        lines.append(f"Reason: {appointment.reason}")
    if hospital.phone:
        lines.append(f"Hospital phone: {hospital.phone}")
    return build(method="PUBLISH", uid=appointment_uid(appointment.id), sequence=sequence, start=appointment.start,
                 end=appointment.end, summary=f"Appointment with {who}" if who else "Hospital appointment",
                 location=", ".join(p for p in (hospital.name, hospital.address or hospital.city) if p),
                 organizer=None, attendee=None, stamp=now or utcnow(), description="\n".join(lines),
                 cancelled=appointment.status in (Status.CANCELLED, Status.NO_SHOW), url=url)
