"""Waitless rows as FHIR R4 resources (docs/fhir.md), each checked by fhir.resources before it leaves.

The R4B models of fhir.resources serve R4's resources (R4B changed none of the ones built here in a way that matters
to a reader of R4). `checked` parses a resource with its model, which raises on a missing required element or a
wrong type.

Ids: a hospital is both an Organization and a Location with the hospital's id; a doctor is a Practitioner; the
doctor's work at one hospital is a PractitionerRole and a Schedule, id "<doctor>-<hospital>"; a HealthcareService is a
specialty at a hospital, "<hospital>-<specialty>"; a Slot is "<doctor>-<hospital>-<UTC start as YYYYMMDDHHMM>".
"""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from fhir.resources.R4B import get_fhir_model_class

from app import scheduling as core
from app.models import Appointment, Doctor, Hospital, Specialty

FHIR_VERSION = "4.0.1"
# local code systems, documented in docs/fhir.md
SPECIALTY_SYSTEM = "urn:waitless:specialty"
VISIT_TYPE_SYSTEM = "urn:waitless:appointment-type"
ERROR_SYSTEM = "urn:waitless:error"
SLOT_ID_FORMAT = "%Y%m%d%H%M"
UTC = ZoneInfo("UTC")


def checked(resource: dict) -> dict:
    """The resource, once its fhir.resources model has parsed it (which raises when it is not valid FHIR). The
    resource itself is served, not the model's dump: dumping costs more than the check (docs/fhir.md)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def instant(value: datetime, tz: str) -> str:
    """A stored naive-UTC instant with the hospital's offset."""
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).isoformat()


def pair_id(first: int, second: int) -> str:
    return f"{first}-{second}"


def slot_id(doctor_id: int, hospital_id: int, start: datetime) -> str:
    return f"{doctor_id}-{hospital_id}-{start.strftime(SLOT_ID_FORMAT)}"


def parse_slot_id(value: str) -> tuple[int, int, datetime] | None:
    """(doctor id, hospital id, naive-UTC start) of a Slot id, or None when it is not one."""
    parts = value.split("-")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts) or len(parts[2]) != 12:
        return None
    try:
        start = datetime.strptime(parts[2], SLOT_ID_FORMAT)
    except ValueError:
        return None
    return int(parts[0]), int(parts[1]), start


def parse_pair_id(value: str) -> tuple[int, int] | None:
    parts = value.split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) < 19 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def specialty_concept(specialty: Specialty) -> dict:
    return {"coding": [{"system": SPECIALTY_SYSTEM, "code": specialty.code, "display": specialty.name}],
            "text": specialty.name}


def visit_type_concept(code: str) -> dict:
    return {"coding": [{"system": VISIT_TYPE_SYSTEM, "code": code}], "text": code}


def organization(hospital: Hospital) -> dict:
    return checked({
        "resourceType": "Organization", "id": str(hospital.id), "active": hospital.active, "name": hospital.name,
        "address": [{"city": hospital.city, "country": hospital.country,
                     **({"text": hospital.address} if hospital.address else {})}],
        **({"telecom": [{"system": "phone", "value": hospital.phone}]} if hospital.phone else {})})


def location(hospital: Hospital) -> dict:
    return checked({
        "resourceType": "Location", "id": str(hospital.id), "status": "active" if hospital.active else "inactive",
        "name": hospital.name, "mode": "instance",
        "address": {"city": hospital.city, "country": hospital.country,
                    **({"text": hospital.address} if hospital.address else {})},
        "position": {"latitude": hospital.lat, "longitude": hospital.lon},
        "managingOrganization": {"reference": f"Organization/{hospital.id}"},
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/timezone", "valueCode": hospital.timezone}],
        **({"telecom": [{"system": "phone", "value": hospital.phone}]} if hospital.phone else {})})


def practitioner(doctor: Doctor) -> dict:
    return checked({
        "resourceType": "Practitioner", "id": str(doctor.id), "active": doctor.active,
        "name": [{"text": doctor.user.name}],
        "communication": [{"coding": [{"system": "urn:ietf:bcp:47", "code": lang.strip()}]}
                          for lang in (doctor.languages or "").split(",") if lang.strip()]})


def practitioner_role(doctor: Doctor, hospital: Hospital) -> dict:
    return checked({
        "resourceType": "PractitionerRole", "id": pair_id(doctor.id, hospital.id),
        "active": doctor.active and hospital.active,
        "practitioner": {"reference": f"Practitioner/{doctor.id}", "display": doctor.user.name},
        "organization": {"reference": f"Organization/{hospital.id}", "display": hospital.name},
        "location": [{"reference": f"Location/{hospital.id}", "display": hospital.name}],
        "specialty": [specialty_concept(doctor.specialty)],
        "healthcareService": [{"reference": f"HealthcareService/{pair_id(hospital.id, doctor.specialty_id)}"}]})


def healthcare_service(hospital: Hospital, specialty: Specialty) -> dict:
    return checked({
        "resourceType": "HealthcareService", "id": pair_id(hospital.id, specialty.id),
        "active": hospital.active and specialty.active, "name": f"{specialty.name}, {hospital.name}",
        "providedBy": {"reference": f"Organization/{hospital.id}"},
        "location": [{"reference": f"Location/{hospital.id}"}],
        "specialty": [specialty_concept(specialty)], "appointmentRequired": True})


def schedule(doctor: Doctor, hospital: Hospital) -> dict:
    return checked({
        "resourceType": "Schedule", "id": pair_id(doctor.id, hospital.id), "active": doctor.active and hospital.active,
        "specialty": [specialty_concept(doctor.specialty)],
        "actor": [{"reference": f"Practitioner/{doctor.id}", "display": doctor.user.name},
                  {"reference": f"PractitionerRole/{pair_id(doctor.id, hospital.id)}"},
                  {"reference": f"Location/{hospital.id}", "display": hospital.name}]})


def slot(doctor_id: int, hospital_id: int, start: datetime, end: datetime, tz: str, *, status: str = "free",
         visit_type: str | None = None, specialty: Specialty | None = None, seats_left: int | None = None,
         booking_link: str | None = None, check: bool = True) -> dict:
    """A slot; `booking_link` is the SMART Scheduling Links deep link into the portal's booking page. `check=False`
    only where another slot of the same schedule, built by this same function, was checked (the published file)."""
    extension = []
    if booking_link:
        extension.append({"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link",
                          "valueUrl": booking_link})
    if seats_left is not None and seats_left > 1:
        extension.append({"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity",
                          "valueInteger": seats_left})
    resource = {
        "resourceType": "Slot", "id": slot_id(doctor_id, hospital_id, start),
        "schedule": {"reference": f"Schedule/{pair_id(doctor_id, hospital_id)}"}, "status": status,
        "start": instant(start, tz), "end": instant(end, tz),
        **({"serviceType": [visit_type_concept(visit_type)]} if visit_type else {}),
        **({"specialty": [specialty_concept(specialty)]} if specialty else {}),
        **({"extension": extension} if extension else {})}
    return checked(resource) if check else resource


def appointment(row: Appointment, *, status: str | None = None) -> dict:
    """A stored appointment; a FHIR hold (status held) is "pending" until booked or released."""
    tz = row.hospital.timezone
    participants = [{"actor": {"reference": f"Location/{row.hospital_id}", "display": row.hospital.name},
                     "status": "accepted"}]
    if row.doctor_id:
        participants.insert(0, {"actor": {"reference": f"Practitioner/{row.doctor_id}"}, "status": "accepted"})
    if row.patient_id:
        participants.append({"actor": {"reference": f"Patient/{row.patient_id}"}, "status": "accepted"})
    resource = {
        "resourceType": "Appointment", "id": str(row.id), "status": status or core.FHIR_STATUS[row.status],
        "start": instant(row.start, tz), "end": instant(row.end, tz),
        "minutesDuration": int((row.end - row.start).total_seconds() // 60),
        "serviceType": [visit_type_concept(row.appointment_type)],
        "participant": participants, "created": instant(row.created_at, tz)}
    if row.doctor_id:
        resource["slot"] = [{"reference": f"Slot/{slot_id(row.doctor_id, row.hospital_id, row.start)}"}]
    if row.status == core.HELD and row.hold_until is not None:
        resource["requestedPeriod"] = [{"end": instant(row.hold_until, tz)}]
    if row.cancel_reason:
        resource["cancelationReason"] = {"text": row.cancel_reason}
    return checked(resource)


def proposed(doctor_id: int, hospital_id: int, start: datetime, end: datetime, tz: str, visit_type: str,
             patient_id: int | None) -> dict:
    """An Appointment $find proposes: no id yet, the slot it would take and who would be there."""
    participants = [{"actor": {"reference": f"Practitioner/{doctor_id}"}, "status": "needs-action"},
                    {"actor": {"reference": f"Location/{hospital_id}"}, "status": "needs-action"}]
    if patient_id is not None:
        participants.append({"actor": {"reference": f"Patient/{patient_id}"}, "status": "needs-action"})
    return checked({
        "resourceType": "Appointment", "status": "proposed", "start": instant(start, tz), "end": instant(end, tz),
        "serviceType": [visit_type_concept(visit_type)],
        "slot": [{"reference": f"Slot/{slot_id(doctor_id, hospital_id, start)}"}], "participant": participants})


# HTTP status -> FHIR issue type (http://hl7.org/fhir/issue-type)
ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 409: "conflict",
               413: "too-long", 415: "not-supported", 422: "business-rule", 429: "throttled"}


def outcome(status: int, message: str, code: str | None = None) -> dict:
    """An OperationOutcome for a refusal; `code` is the REST API's error code (docs/api.md)."""
    issue_type = ISSUE_TYPES.get(status, "exception")
    issue = {"severity": "error", "code": issue_type, "diagnostics": message}
    if code:
        issue["details"] = {"coding": [{"system": ERROR_SYSTEM, "code": code}], "text": message}
    return checked({"resourceType": "OperationOutcome", "issue": [issue]})


def bundle(entries: list[dict], base: str, *, total: int | None = None, links: dict[str, str] | None = None,
           kind: str = "searchset") -> dict:
    """A Bundle of already-checked resources (not parsed again: a page of slots is checked once)."""
    body = {"resourceType": "Bundle", "type": kind,
            "link": [{"relation": rel, "url": url} for rel, url in (links or {}).items()],
            "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}" if r.get("id") else None, "resource": r,
                       **({"search": {"mode": "match"}} if kind == "searchset" else {})} for r in entries]}
    for entry in body["entry"]:
        if entry["fullUrl"] is None:
            del entry["fullUrl"]
    if total is not None:
        body["total"] = total
    if not body["link"]:
        del body["link"]
    return body


def compact(resource: dict) -> str:
    """One resource as one line of JSON (ndjson)."""
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
