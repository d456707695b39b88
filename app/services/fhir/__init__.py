"""FHIR R4: the directory, slots and appointments as FHIR resources, the IHE ITI Scheduling operations and the
SMART Scheduling Links files (docs/fhir.md). Built on the availability search and the booking service."""
from app.services.fhir import appointments, capability, directory, policy, publish, resources, slots  # noqa: F401
from app.services.fhir.params import FhirError

__all__ = ["FhirError", "appointments", "capability", "directory", "policy", "publish", "resources", "slots"]
