"""Vital signs a nurse records at the station, checked against physiological bounds before anything is stored.

The bounds are wide on purpose: they catch typing slips (a pulse of 720, a temperature of 375, kilograms entered in
the height box), not clinical abnormality. A reading inside them may still be alarming; one outside them is a
mistake. Each key matches a column of the Vitals model.

| key            | low  | high  | unit | kind    | extra rule                 |
|----------------|------|-------|------|---------|----------------------------|
| systolic_mmhg  | 50   | 260   | mmHg | whole   | given together with diastolic |
| diastolic_mmhg | 30   | 160   | mmHg | whole   | below the systolic value   |
| pulse_bpm      | 20   | 250   | bpm  | whole   |                            |
| temperature_c  | 30.0 | 44.0  | °C   | 1 place |                            |
| spo2_percent   | 50   | 100   | %    | whole   |                            |
| weight_kg      | 0.3  | 400   | kg   | 1 place |                            |
| height_cm      | 20   | 250   | cm   | 1 place |                            |
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import VitalsOutOfRange

# key -> (lowest, highest, unit, label)
VITAL_RANGES: dict[str, tuple[Decimal, Decimal, str, str]] = {
    "systolic_mmhg": (Decimal(50), Decimal(260), "mmHg", "Systolic blood pressure"),
    "diastolic_mmhg": (Decimal(30), Decimal(160), "mmHg", "Diastolic blood pressure"),
    "pulse_bpm": (Decimal(20), Decimal(250), "bpm", "Pulse"),
    "temperature_c": (Decimal("30.0"), Decimal("44.0"), "°C", "Temperature"),
    "spo2_percent": (Decimal(50), Decimal(100), "%", "Oxygen saturation (SpO2)"),
    "weight_kg": (Decimal("0.3"), Decimal(400), "kg", "Weight"),
    "height_cm": (Decimal(20), Decimal(250), "cm", "Height"),
}
WHOLE = frozenset({"systolic_mmhg", "diastolic_mmhg", "pulse_bpm", "spo2_percent"})  # stored as integers
ONE_PLACE = Decimal("0.1")


def _parse(key: str, raw: object) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        if isinstance(raw, bool):
            raise VitalsOutOfRange(f"{VITAL_RANGES[key][3]} must be a number.", key)
        return None
    text = str(raw).strip().replace(",", ".")  # "37,5" is how a German keyboard writes it
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise VitalsOutOfRange(f"{VITAL_RANGES[key][3]} must be a number.", key) from None
    if not value.is_finite():
        raise VitalsOutOfRange(f"{VITAL_RANGES[key][3]} must be a number.", key)
    return value


def check_vitals(values: Mapping[str, object]) -> dict[str, int | Decimal | None]:
    """Return every key of VITAL_RANGES with its normalised value (int, Decimal to one place, or None if blank).

    Raise VitalsOutOfRange naming the first bad field: an unknown key, text that is not a number, a value outside
    its bounds, a diastolic value not below the systolic one, one of the two pressures without the other, or a set
    with no value at all. Rounding happens before the bounds check, so what is checked is what is stored.
    """
    unknown = sorted(set(values) - set(VITAL_RANGES))
    if unknown:
        raise VitalsOutOfRange(f"Unknown measurement '{unknown[0]}'.", unknown[0])
    result: dict[str, int | Decimal | None] = {}
    for key, (low, high, unit, label) in VITAL_RANGES.items():
        value = _parse(key, values.get(key))
        if value is None:
            result[key] = None
            continue
        value = value.quantize(Decimal(1) if key in WHOLE else ONE_PLACE, rounding=ROUND_HALF_UP)
        if not low <= value <= high:
            raise VitalsOutOfRange(f"{label} must be between {_plain(low)} and {_plain(high)} {unit}.", key)
        result[key] = int(value) if key in WHOLE else value
    systolic, diastolic = result["systolic_mmhg"], result["diastolic_mmhg"]
    if (systolic is None) != (diastolic is None):
        missing = "diastolic_mmhg" if diastolic is None else "systolic_mmhg"
        raise VitalsOutOfRange("Enter both blood pressure values (systolic and diastolic).", missing)
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise VitalsOutOfRange("The diastolic pressure must be below the systolic pressure.", "diastolic_mmhg")
    if all(v is None for v in result.values()):
        raise VitalsOutOfRange("Enter at least one measurement.", None)
    return result


def _plain(value: Decimal) -> str:
    return f"{value:f}"
