"""The CapabilityStatement at /fhir/metadata: what this server reads, searches and does (docs/fhir.md)."""
from __future__ import annotations

from datetime import datetime

from app.models.base import utcnow
from app.services.fhir import resources as fhir

# resource -> its search parameters and their FHIR types (besides _count and _offset, which every search takes)
SEARCHES: dict[str, dict[str, str]] = {
    "Organization": {"_id": "token", "name": "string", "address-city": "string", "address-country": "string"},
    "Location": {"_id": "token", "name": "string", "address-city": "string", "address-country": "string",
                 "organization": "reference"},
    "Practitioner": {"_id": "token", "name": "string"},
    "PractitionerRole": {"practitioner": "reference", "location": "reference", "organization": "reference",
                         "specialty": "token"},
    "HealthcareService": {"specialty": "token", "location": "reference", "organization": "reference"},
    "Schedule": {"actor": "reference", "specialty": "token"},
    "Slot": {"specialty": "token", "service-type": "token", "schedule": "reference", "start": "date",
             "status": "token"},
    "Appointment": {"_id": "token", "patient": "reference", "practitioner": "reference", "location": "reference",
                    "status": "token", "date": "date"},
}
# the IHE ITI Scheduling operations on Appointment
OPERATIONS = {
    "find": "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/ihe-appointment-find",
    "hold": "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/ihe-appointment-hold",
    "book": "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/ihe-appointment-book",
}


def statement(base: str, now: datetime | None = None) -> dict:
    resources = []
    for kind, params in SEARCHES.items():
        entry = {"type": kind, "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": [{"name": name, "type": kind_of}
                                 for name, kind_of in {**params, "_count": "number", "_offset": "number"}.items()]}
        if kind == "Appointment":
            entry["operation"] = [{"name": name, "definition": url} for name, url in OPERATIONS.items()]
        resources.append(entry)
    return fhir.checked({
        "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
        "date": fhir.instant(now or utcnow(), "UTC"), "publisher": "Waitless",
        "software": {"name": "Waitless"}, "implementation": {"description": "Waitless FHIR R4 endpoint", "url": base},
        "fhirVersion": fhir.FHIR_VERSION, "format": ["application/fhir+json", "json"],
        "rest": [{"mode": "server", "documentation": "Read and search of the directory, free slots and "
                  "appointments; IHE ITI Scheduling $find, $hold, $book; SMART Scheduling Links at $bulk-publish.",
                  "security": {"service": [{"coding": [{
                      "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                      "code": "OAuth"}]}],
                      "description": "Send the Waitless API token as 'Authorization: Bearer <token>', or use "
                                     "the portal's session. Anyone may read the directory and free slots."},
                  "resource": resources}]})
