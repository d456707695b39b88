"""An appointment as an iCalendar (.ics) file, for "Add to calendar".

The UID is stable per appointment ("appointment-<id>@waitless"), so a calendar that imports the file again after a
move or a cancellation updates the same event instead of adding a second one; SEQUENCE grows with each change.
"""
from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from app.models import Appointment
from app.models.base import utcnow

PRODID = "-//Waitless//Appointments//EN"


def uid_for(appointment: Appointment) -> str:
    return f"appointment-{appointment.id}@waitless"


def _utc(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC)


def appointment_ics(appointment: Appointment, *, url: str | None = None, sequence: int = 0,
                    now: datetime | None = None) -> bytes:
    """One VEVENT in a VCALENDAR; a cancelled appointment is published as STATUS:CANCELLED."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid_for(appointment))
    event.add("dtstamp", _utc(now or utcnow()))
    event.add("dtstart", _utc(appointment.start))
    event.add("dtend", _utc(appointment.end))
    who = appointment.doctor.name if appointment.doctor else (appointment.room.name if appointment.room else "")
    hospital = appointment.hospital
    event.add("summary", f"Appointment with {who}" if who else "Hospital appointment")
    event.add("location", ", ".join(p for p in (hospital.name, hospital.address or hospital.city) if p))
    lines = [f"Type: {appointment.appointment_type.replace('_', ' ')}"]
    if appointment.reason:
        lines.append(f"Reason: {appointment.reason}")
    if hospital.phone:
        lines.append(f"Hospital phone: {hospital.phone}")
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if appointment.status in ("cancelled", "no_show") else "CONFIRMED")
    event.add("sequence", sequence)
    if url:
        event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical()
