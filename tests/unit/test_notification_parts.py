"""The pure parts of notifications: calendar files, Message-IDs, address checks, time formatting."""
from datetime import datetime

import pytest
from icalendar import Calendar

from app.notifications import ics
from app.notifications.channels import PermanentError, check_email_address, check_phone, message_id
from app.notifications.render import format_when


def _calendar(method: str, sequence: int = 0) -> Calendar:
    data = ics.build(method=method, uid=ics.appointment_uid(42), sequence=sequence, start="2026-03-03T09:15:00",
                     end="2026-03-03T09:30:00", summary="Appointment with Dr Grey at Thames", location="Thames",
                     organizer="no-reply@waitless.local", attendee="ada@example.org",
                     stamp=datetime(2026, 3, 1, 12, 0))
    return Calendar.from_ical(data)


@pytest.mark.parametrize("method,status", [("REQUEST", "CONFIRMED"), ("CANCEL", "CANCELLED")])
def test_calendar_file_parses_with_method_uid_and_utc_times(method, status):
    cal = _calendar(method, sequence=3)
    assert str(cal["METHOD"]) == method and str(cal["VERSION"]) == "2.0"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == "appointment-42@waitless"
    assert int(event["SEQUENCE"]) == 3 and str(event["STATUS"]) == status
    start = event.decoded("DTSTART")
    assert start.utcoffset().total_seconds() == 0 and (start.hour, start.minute) == (9, 15)
    assert "ada@example.org" in str(event["ATTENDEE"]) and "no-reply@waitless.local" in str(event["ORGANIZER"])


def test_only_itip_methods_and_publish():
    with pytest.raises(ValueError):
        _calendar("REFRESH")
    assert _calendar("PUBLISH")["method"] == "PUBLISH"


def test_message_id_is_stable_and_valid():
    assert message_id("appt:7:booked:0:email") == "<appt.7.booked.0.email@waitless>"
    assert message_id("a b<c>") == "<a.b.c.@waitless>"


@pytest.mark.parametrize("address", ["", "plain", "a@", "@b.org", "a@@b.org", "a b@c.org"])
def test_malformed_email_addresses_are_permanent_errors(address):
    with pytest.raises(PermanentError, match="malformed e-mail address"):
        check_email_address(address)


def test_good_email_addresses_pass():
    assert check_email_address("ada@example.org") == "ada@example.org"
    assert check_email_address("patient1@waitless.example") == "patient1@waitless.example"


@pytest.mark.parametrize("number", ["0123", "+44 7911 123456", "07911123456", "+999", "call me"])
def test_phone_numbers_must_be_e164(number):
    with pytest.raises(PermanentError):
        check_phone(number)


def test_e164_passes():
    assert check_phone("+447911123456") == "+447911123456"


def test_times_are_local_named_and_translated():
    assert format_when("2026-07-01T08:00:00", "Europe/Berlin", "en") == "Wednesday 1 July 2026, 10:00 (Europe/Berlin)"
    assert format_when("2026-07-01T08:00:00", "Europe/Berlin", "de") == "Mittwoch, 1. Juli 2026, 10:00 (Europe/Berlin)"
    assert format_when("2026-01-01T08:00:00", "Europe/London", "en").startswith("Thursday 1 January 2026, 08:00")
