"""Unit tests for app.scheduling.vitals: physiological bounds, normalisation and the field each refusal names."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scheduling import QueueError, SchedulingError, VitalsOutOfRange
from app.scheduling.vitals import VITAL_RANGES, check_vitals

GOOD = {"systolic_mmhg": "120", "diastolic_mmhg": "80", "pulse_bpm": 72, "temperature_c": "37,25",
        "spo2_percent": 98.0, "weight_kg": "70.04", "height_cm": 175}


def test_ranges_carry_bounds_units_and_labels():
    assert VITAL_RANGES["systolic_mmhg"][:3] == (50, 260, "mmHg")
    assert VITAL_RANGES["diastolic_mmhg"][:3] == (30, 160, "mmHg")
    assert VITAL_RANGES["pulse_bpm"][:3] == (20, 250, "bpm")
    assert VITAL_RANGES["temperature_c"][:3] == (Decimal("30.0"), Decimal("44.0"), "°C")
    assert VITAL_RANGES["spo2_percent"][:3] == (50, 100, "%")
    assert VITAL_RANGES["weight_kg"][:3] == (Decimal("0.3"), 400, "kg")
    assert VITAL_RANGES["height_cm"][:3] == (20, 250, "cm")
    assert all(isinstance(label, str) and label for *_, label in VITAL_RANGES.values())


def test_a_good_set_is_normalised():
    result = check_vitals(GOOD)
    assert result == {"systolic_mmhg": 120, "diastolic_mmhg": 80, "pulse_bpm": 72,
                      "temperature_c": Decimal("37.3"), "spo2_percent": 98, "weight_kg": Decimal("70.0"),
                      "height_cm": Decimal("175.0")}
    assert isinstance(result["pulse_bpm"], int)


def test_blank_fields_become_none():
    result = check_vitals({"pulse_bpm": "80", "temperature_c": " ", "weight_kg": None})
    assert result["pulse_bpm"] == 80 and result["temperature_c"] is None and result["systolic_mmhg"] is None
    assert set(result) == set(VITAL_RANGES)


@pytest.mark.parametrize(("field", "value"), [
    ("systolic_mmhg", 49), ("systolic_mmhg", 261), ("diastolic_mmhg", 29), ("pulse_bpm", 19), ("pulse_bpm", 720),
    ("temperature_c", "29.9"), ("temperature_c", 375), ("spo2_percent", 101), ("spo2_percent", 49),
    ("weight_kg", "0.2"), ("weight_kg", 401), ("height_cm", 19), ("height_cm", 251),
])
def test_out_of_range_names_the_field(field, value):
    values = {**GOOD, field: value}
    if field == "diastolic_mmhg":
        values["systolic_mmhg"] = 120
    with pytest.raises(VitalsOutOfRange) as caught:
        check_vitals(values)
    assert caught.value.field == field
    assert VITAL_RANGES[field][2] in caught.value.message  # the unit is shown
    assert caught.value.http_status == 422 and isinstance(caught.value, SchedulingError)


@pytest.mark.parametrize(("field", "value"), [
    ("systolic_mmhg", 50), ("systolic_mmhg", 260), ("pulse_bpm", 20), ("pulse_bpm", 250), ("temperature_c", "30"),
    ("temperature_c", "44.0"), ("spo2_percent", 100), ("weight_kg", "0.3"), ("height_cm", 250),
])
def test_bounds_are_inclusive(field, value):
    values = {**GOOD, field: value}
    if field == "systolic_mmhg":
        values["diastolic_mmhg"] = 40
    check_vitals(values)


def test_rounding_happens_before_the_check():
    with pytest.raises(VitalsOutOfRange):
        check_vitals({"temperature_c": "44.05"})  # rounds to 44.1
    assert check_vitals({"temperature_c": "44.04"})["temperature_c"] == Decimal("44.0")


def test_diastolic_must_be_below_systolic():
    with pytest.raises(VitalsOutOfRange, match="below") as caught:
        check_vitals({"systolic_mmhg": 100, "diastolic_mmhg": 100})
    assert caught.value.field == "diastolic_mmhg"


def test_pressure_needs_both_values():
    with pytest.raises(VitalsOutOfRange) as caught:
        check_vitals({"systolic_mmhg": 120})
    assert caught.value.field == "diastolic_mmhg"
    with pytest.raises(VitalsOutOfRange) as caught:
        check_vitals({"diastolic_mmhg": 80})
    assert caught.value.field == "systolic_mmhg"


@pytest.mark.parametrize("value", ["abc", "1e999x", "nan", "inf", True])
def test_text_that_is_not_a_number(value):
    with pytest.raises(VitalsOutOfRange, match="number") as caught:
        check_vitals({"pulse_bpm": value})
    assert caught.value.field == "pulse_bpm"


def test_unknown_key_and_empty_set():
    with pytest.raises(VitalsOutOfRange) as caught:
        check_vitals({"glucose": 5})
    assert caught.value.field == "glucose"
    with pytest.raises(VitalsOutOfRange, match="at least one") as caught:
        check_vitals({"pulse_bpm": "", "weight_kg": None})
    assert caught.value.field is None


def test_queue_error_status_can_be_chosen_per_refusal():
    assert QueueError("Second token.", "patient").http_status == 409
    err = QueueError("Say why.", "reason", http_status=422)
    assert (err.code, err.http_status, err.field) == ("queue", 422, "reason")
    assert VitalsOutOfRange.code == "vitals_out_of_range"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(VITAL_RANGES)), st.decimals(-1000, 1000, places=2, allow_nan=False))
def test_property_accepted_values_lie_within_their_bounds(field, value):
    values = {field: str(value)}
    if field in ("systolic_mmhg", "diastolic_mmhg"):
        values = {"systolic_mmhg": str(value), "diastolic_mmhg": "30"} if field == "systolic_mmhg" else \
            {"systolic_mmhg": "260", "diastolic_mmhg": str(value)}
    try:
        result = check_vitals(values)
    except VitalsOutOfRange as err:
        assert err.field in VITAL_RANGES
        return
    low, high, *_ = VITAL_RANGES[field]
    assert low <= result[field] <= high
