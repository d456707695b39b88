"""FHIR parameter reading and resource shapes that need no database (docs/fhir.md)."""
from datetime import datetime

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from werkzeug.datastructures import MultiDict

from app.services.fhir.params import FhirError, check_names, date_range, paging, reference_id, token
from app.services.fhir.resources import bundle, outcome, parse_pair_id, parse_slot_id, slot, slot_id


def test_date_prefixes_make_a_half_open_utc_range():
    lower, upper = date_range(["ge2026-03-02", "lt2026-03-04"], "start")
    assert (lower, upper) == (datetime(2026, 3, 2), datetime(2026, 3, 4))
    lower, upper = date_range(["ge2026-03-02T09:00:00+01:00", "le2026-03-02"], "start")
    assert (lower, upper) == (datetime(2026, 3, 2, 8), datetime(2026, 3, 3))
    assert date_range(["2026-03-02"], "date") == (datetime(2026, 3, 2), datetime(2026, 3, 3))
    assert date_range(["gt2026-03-02"], "date")[0] == datetime(2026, 3, 3)
    assert date_range([], "start") == (None, None)


@pytest.mark.parametrize("value", ["ge2026-13-01", "ge2026-03-02T09:00", "ltyesterday", "ge0001-01-01T00:00Z"])
def test_unreadable_dates_are_refused(value):
    with pytest.raises(FhirError) as err:
        date_range([value], "start")
    assert err.value.status == 400


def test_unknown_parameters_and_bad_paging_are_refused():
    check_names(MultiDict({"specialty": "CAR", "_count": "5"}), {"specialty"})
    with pytest.raises(FhirError, match="colour"):
        check_names(MultiDict({"colour": "blue"}), {"specialty"})
    assert paging(MultiDict({})) == (50, 0)
    assert paging(MultiDict({"_count": "7", "_offset": "14"})) == (7, 14)
    for bad in ({"_count": "0"}, {"_count": "501"}, {"_count": "-1"}, {"_offset": "x"}, {"_count": "²"}):
        with pytest.raises(FhirError):
            paging(MultiDict(bad))


def test_tokens_and_references():
    assert token("urn:waitless:specialty|CAR") == ("urn:waitless:specialty", "CAR")
    assert token("CAR") == (None, "CAR")
    assert reference_id("Schedule/3-4", "Schedule") == "3-4"
    assert reference_id("https://other.example/fhir/Schedule/3-4", "Schedule") == "3-4"
    with pytest.raises(FhirError):
        reference_id("Location/3", "Schedule")


def test_slot_ids_round_trip_and_refuse_junk():
    start = datetime(2026, 3, 2, 9, 15)
    assert parse_slot_id(slot_id(12, 3, start)) == (12, 3, start)
    for junk in ("12-3", "a-b-202603020915", "12-3-202613020915", "12-3-2026030209", "1-2-3-4", ""):
        assert parse_slot_id(junk) is None
    assert parse_pair_id("3-4") == (3, 4) and parse_pair_id("3") is None and parse_pair_id("3-x") is None


def test_built_resources_are_valid_r4():
    resource = slot(1, 2, datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 9, 15), "Europe/Berlin",
                    visit_type="new", seats_left=3, booking_link="https://portal.example/book?x=1")
    assert resource["start"] == "2026-03-02T10:00:00+01:00" and resource["status"] == "free"
    Bundle.model_validate(bundle([resource], "https://portal.example/fhir", total=1,
                                 links={"self": "https://portal.example/fhir/Slot"}))
    refusal = outcome(409, "Sorry, this slot has just been taken.", "slot_taken")
    OperationOutcome.model_validate(refusal)
    assert refusal["issue"][0]["code"] == "conflict"
    assert refusal["issue"][0]["details"]["coding"][0]["code"] == "slot_taken"
