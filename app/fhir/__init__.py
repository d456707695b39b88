"""The FHIR R4 endpoint under /fhir (docs/fhir.md): thin views over services/fhir."""
from flask import Blueprint

bp = Blueprint("fhir", __name__)

from app.fhir import routes  # noqa: E402,F401  (registers the views)
