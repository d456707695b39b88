"""Reading a source's FHIR resources into slot rows (docs/federation.md, "What is read").

Each resource is parsed by its fhir.resources model; a wrong resourceType, a missing required element or a value
of the wrong type skips that resource with the reason (the rest of the answer is still used). Locations and
Schedules give a slot its place, practitioner and specialty; a Slot is kept when it is free and in the future.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

DEEP_LINK = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
KINDS = ("Location", "Schedule", "Slot")
MAX_REASONS = 5  # the health page names the first few reasons, not thousands


@dataclass
class Parsed:
    """What one sync read: locations and schedules by id, the free slots, and what was skipped and why."""

    locations: dict[str, str] = field(default_factory=dict)  # Location id -> name
    schedules: dict[str, dict] = field(default_factory=dict)  # Schedule id -> specialty, practitioner, location
    slots: list[dict] = field(default_factory=list)
    fetched: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(reason)


def _model(resource, expected: str | None, parsed: Parsed):
    if not isinstance(resource, dict):
        parsed.skip("A line or entry that is not a JSON object.")
        return None
    kind = resource.get("resourceType")
    if kind not in KINDS or (expected and kind != expected):
        parsed.skip(f"Unexpected resource type {str(kind)[:40]!r}" + (f" (expected {expected})." if expected else "."))
        return None
    try:
        return get_fhir_model_class(kind).model_validate(resource)
    except (ValidationError, ValueError, TypeError) as err:
        parsed.skip(f"Invalid {kind} {str(resource.get('id'))[:40]}: {_first(err)}")
        return None


def _first(err: Exception) -> str:
    if isinstance(err, ValidationError) and err.errors():
        first = err.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"[:200]
    return str(err)[:200]


def _ref_id(reference: str | None, kind: str) -> str | None:
    if reference and reference.startswith(f"{kind}/"):
        return reference.split("/", 1)[1][:64]
    return None


def _utc(value) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("a time without offset")
    return moment.astimezone(UTC).replace(tzinfo=None)


def add(parsed: Parsed, resource, expected: str | None, now: datetime) -> None:
    """Read one resource into `parsed` (a Location, Schedule or Slot)."""
    parsed.fetched += 1
    model = _model(resource, expected, parsed)
    if model is None:
        return
    kind = model.get_resource_type()
    if not model.id:
        parsed.skip(f"A {kind} without an id.")
    elif kind == "Location":
        parsed.locations[model.id] = (model.name or model.id)[:200]
    elif kind == "Schedule":
        coding = next((c for concept in model.specialty or [] for c in concept.coding or [] if c.code), None)
        actors = {ref.reference.split("/", 1)[0]: ref for ref in model.actor if ref.reference}
        practitioner = actors.get("Practitioner")
        parsed.schedules[model.id] = {
            "specialty_code": coding.code[:64] if coding else None,
            "specialty_name": ((coding.display if coding else None) or (coding.code if coding else None) or "")[:120]
            or None,
            "practitioner": (practitioner.display or None) if practitioner else None,
            "practitioner_ref": practitioner.reference[:100] if practitioner else None,
            "location_ref": actors["Location"].reference[:100] if "Location" in actors else None}
    else:
        _slot(parsed, model, now)


def _slot(parsed: Parsed, slot, now: datetime) -> None:
    if slot.status != "free":
        return
    try:
        start, end = _utc(slot.start), _utc(slot.end)
    except ValueError:
        parsed.skip(f"Slot {slot.id}: a time without offset.")
        return
    if end <= start or start < now:
        return
    link = next((e.valueUrl for e in slot.extension or [] if e.url == DEEP_LINK and e.valueUrl), None)
    code = next((c.code for concept in slot.serviceType or [] for c in concept.coding or [] if c.code), None)
    specialty = next((c for concept in slot.specialty or [] for c in concept.coding or [] if c.code), None)
    parsed.slots.append({
        "remote_id": slot.id[:64], "start": start, "end": end, "visit_type": code[:64] if code else None,
        "schedule": _ref_id(slot.schedule.reference, "Schedule"),
        "booking_link": str(link)[:1000] if link and str(link).startswith(("https://", "http://")) else None,
        **({"specialty_code": specialty.code[:64], "specialty_name": (specialty.display or specialty.code)[:120]}
           if specialty else {})})


def rows(parsed: Parsed) -> list[dict]:
    """The slots with their schedule's specialty, practitioner and place; a slot whose schedule is unknown and
    that names no specialty of its own cannot be found by a search, so it is skipped."""
    out = []
    for slot in parsed.slots:
        schedule = parsed.schedules.get(slot.pop("schedule") or "", {})
        row = {k: v for k, v in schedule.items() if k != "location_ref"} | slot
        row["location_ref"] = schedule.get("location_ref")
        row["location"] = parsed.locations.get(_ref_id(row["location_ref"], "Location") or "")
        if not row.get("specialty_code"):
            parsed.skip(f"Slot {slot['remote_id']}: no specialty (its Schedule is unknown).")
            continue
        out.append(row)
    return out
