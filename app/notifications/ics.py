"""Calendar files (RFC 5545 / iTIP): METHOD:REQUEST for new and moved appointments, METHOD:CANCEL for cancelled
ones, one stable UID per appointment and a SEQUENCE that grows with every change, so calendar apps update the
entry they already hold instead of adding a second one."""
from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText


def appointment_uid(appointment_id: int) -> str:
    return f"appointment-{appointment_id}@waitless"


def _utc(value: str | datetime) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def build(*, method: str, uid: str, sequence: int, start: str | datetime, end: str | datetime, summary: str,
          location: str, organizer: str | None, attendee: str | None, stamp: datetime, description: str = "",
          cancelled: bool | None = None, url: str | None = None) -> bytes:
    """REQUEST/CANCEL go with e-mails (iTIP); PUBLISH is the "Add to calendar" download of the portal."""
    if method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"unsupported METHOD {method}")
    if cancelled is None:
        cancelled = method == "CANCEL"
    cal = Calendar()
    cal.add("prodid", "-//Waitless//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(start))
    event.add("dtend", _utc(end))
    event.add("summary", summary)
    event.add("location", location)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if url:
        event.add("url", url)
    if organizer:
        org = vCalAddress(f"mailto:{organizer}")
        org.params["cn"] = vText("Waitless")
        event["organizer"] = org
    if attendee:
        who = vCalAddress(f"mailto:{attendee}")
        who.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", who, encode=0)
    cal.add_component(event)
    return cal.to_ical()
