"""Unit tests for app.scheduling.errors: codes, HTTP statuses and the JSON body."""

import pytest

from app.scheduling import errors
from app.scheduling.errors import ScheduleInvalid, SchedulingError

EXPECTED = [
    (errors.SlotTaken, "slot_taken", 409),
    (errors.InPast, "in_past", 422),
    (errors.OutsideHours, "outside_hours", 422),
    (errors.BeyondHorizon, "beyond_horizon", 422),
    (errors.TooShortNotice, "min_notice", 422),
    (errors.DailyLimitReached, "daily_limit", 409),
    (errors.TypeNotOffered, "type_not_offered", 422),
    (errors.PatientOverlap, "patient_overlap", 409),
    (errors.InvalidTransition, "invalid_transition", 409),
    (errors.ScheduleInvalid, "schedule_invalid", 422),
    (errors.Blocked, "blocked", 422),
]


@pytest.mark.parametrize(("cls", "code", "status"), EXPECTED)
def test_each_error_has_its_code_and_status(cls, code, status):
    exc = cls("Something is wrong.", "start")
    assert isinstance(exc, SchedulingError)
    assert (cls.code, cls.http_status) == (code, status)
    assert (exc.code, exc.http_status, exc.message, exc.field) == (code, status, "Something is wrong.", "start")
    assert str(exc) == "Something is wrong."


def test_field_defaults_to_none_and_to_dict():
    exc = errors.SlotTaken("Just taken.")
    assert exc.field is None
    assert exc.to_dict() == {"code": "slot_taken", "message": "Just taken.", "field": None}


def test_error_codes_are_unique():
    assert len({cls.code for cls, _, _ in EXPECTED}) == len(EXPECTED)


def test_schedule_invalid_carries_field_errors():
    exc = ScheduleInvalid(fields={"rules.0.end": "Must be after the start."})
    assert exc.fields == {"rules.0.end": "Must be after the start."}
    assert exc.message == "The schedule has errors."
    assert exc.to_dict()["fields"] == {"rules.0.end": "Must be after the start."}


def test_schedule_invalid_with_a_single_field():
    exc = ScheduleInvalid("Must be after the first valid day.", "valid_till")
    assert exc.fields == {"valid_till": "Must be after the first valid day."}


def test_schedule_invalid_copies_the_mapping():
    source = {"valid_till": "bad"}
    exc = ScheduleInvalid(fields=source)
    source["other"] = "x"
    assert exc.fields == {"valid_till": "bad"}


def test_errors_can_be_caught_as_the_base_class():
    with pytest.raises(SchedulingError) as caught:
        raise errors.DailyLimitReached("Full.", "start")
    assert caught.value.http_status == 409
