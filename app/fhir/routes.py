"""FHIR views: read, search, the Appointment operations and the published files (docs/fhir.md).

Every answer is application/fhir+json; every refusal an OperationOutcome carrying the REST API's error code.
Authentication is the REST API's (a bearer token or the portal's session; session writes need the CSRF token).
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Response, abort, current_app, g, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app import scheduling as core
from app.errors import TITLES
from app.extensions import csrf
from app.fhir import bp
from app.models import Appointment
from app.replica import on_primary, read_replica
from app.services import fhir
from app.services.fhir import FhirError
from app.services.fhir import appointments as fhir_appointments
from app.services.fhir import directory as fhir_directory
from app.services.fhir import resources as fhir_resources
from app.transaction import transaction

MIME = "application/fhir+json"
MAX_BODY = 64 * 1024  # a Parameters resource for one appointment is a few kB; anything far larger is refused (413)

csrf.exempt(bp)  # checked in guard(): session requests need it, bearer requests do not

READS = {
    "Organization": (fhir_directory.read_organization, lambda args: fhir_directory.search_hospitals(
        args, "Organization")),
    "Location": (fhir_directory.read_location, lambda args: fhir_directory.search_hospitals(args, "Location")),
    "Practitioner": (fhir_directory.read_practitioner, fhir_directory.search_practitioners),
    "PractitionerRole": (fhir_directory.read_practitioner_role, fhir_directory.search_practitioner_roles),
    "HealthcareService": (fhir_directory.read_healthcare_service, fhir_directory.search_healthcare_services),
    "Schedule": (fhir_directory.read_schedule, fhir_directory.search_schedules),
}


def answer(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MIME, headers=headers)


def outcome(status: int, message: str, code: str | None = None) -> Response:
    return answer(fhir_resources.outcome(status, message, code), status)


@bp.errorhandler(FhirError)
def fhir_error(err: FhirError):
    return outcome(err.status, err.message, err.code)


@bp.errorhandler(core.SchedulingError)
def refused(err: core.SchedulingError):
    return outcome(err.http_status, err.message, err.code)


@bp.errorhandler(HTTPException)
def http_error(err: HTTPException):
    status = err.code or 500
    message = {401: "Log in or send an API token.", 404: "No such record.",
               413: f"The request body is larger than {MAX_BODY // 1024} kB."}.get(status) or err.description
    headers = {"Retry-After": "60"} if status == 429 else None
    return answer(fhir_resources.outcome(status, message or TITLES.get(status, "Error")), status, headers)


@bp.errorhandler(CSRFError)
def csrf_error(_err: CSRFError):
    return outcome(400, "A session request must send the CSRF token (or use an API token instead).", "csrf")


@bp.errorhandler(Exception)
def unexpected(err: Exception):
    """A fault of ours, still as an OperationOutcome (database faults keep the app's 503, app/errors.py). Nothing
    was committed: the request's session is discarded, unwritten, when the request ends."""
    current_app.logger.exception("Unhandled error on %s", request.path)
    return outcome(500, "Something went wrong on our side. Nothing was changed; please try again.")


@bp.before_request
def guard():
    request.max_content_length = MAX_BODY
    if request.headers.get("Authorization") and not current_user.is_authenticated:
        # a forged, revoked or expired token is refused, not read as an anonymous caller
        reason = g.get("bearer_refused")
        return outcome(401, f"This API token is {reason}." if reason else "This API token is not valid.",
                       f"token_{reason}" if reason else "unauthorized")
    if request.method == "POST" and current_user.is_authenticated and not g.get("bearer_auth"):
        csrf.protect()
    return None


def _login() -> None:
    if not current_user.is_authenticated:
        raise FhirError("Log in or send an API token.", 401, "unauthorized")


def base_url() -> str:
    return url_for("fhir.metadata", _external=True).rsplit("/", 1)[0]


def booking_link(doctor_id: int, hospital_id: int, start: str, visit_type: str | None) -> str:
    """The portal's booking page for the slot (the patient logs in and confirms there). The page's address is
    built once per request: a published file holds thousands of links."""
    if "fhir_booking_page" not in g:
        g.fhir_booking_page = url_for("patient.book", _external=True)
    query = {"doctor": doctor_id, "hospital": hospital_id, "start": start}
    return f"{g.fhir_booking_page}?{urlencode(query | ({'type': visit_type} if visit_type else {}))}"


def searchset(resource_type: str, resources: list[dict], total: int | None, more: bool) -> Response:
    args = request.args.to_dict(flat=False)
    count, offset = fhir.params.paging(request.args)
    links = {"self": url_for("fhir.search", resource_type=resource_type, _external=True, **args)}
    if more:
        links["next"] = url_for("fhir.search", resource_type=resource_type, _external=True,
                                **(args | {"_offset": [str(offset + count)], "_count": [str(count)]}))
    return answer(fhir_resources.bundle(resources, base_url(), total=total, links=links))


@bp.route("/metadata")
def metadata():
    return answer(fhir.capability.statement(base_url()))


@bp.route("/<resource_type>")
@read_replica
def search(resource_type: str):
    count, offset = fhir.params.paging(request.args)
    if resource_type == "Slot":
        resources, more = fhir.slots.search_page(request.args, booking_link)
        return searchset("Slot", resources, None, more)  # no total: counting every free slot costs a full search
    if resource_type == "Appointment":
        _login()
        # no total: a hospital's list is long to count; `next` when a row was found past the page
        with on_primary():  # a booking made a moment ago must be in the caller's list
            resources, seen = fhir_appointments.search(current_user, request.args)
        return searchset("Appointment", resources, None, seen > offset + count)
    if resource_type not in READS:
        raise FhirError(f"This server does not serve {resource_type} resources.", 404, "not_found")
    resources, total = READS[resource_type][1](request.args)
    return searchset(resource_type, resources, total, offset + count < total)


@bp.route("/<resource_type>/<ident>")
@read_replica
def read(resource_type: str, ident: str):
    if len(ident) > 64:
        raise FhirError(f"No such record: {ident[:64]}", 404, "not_found")
    if resource_type == "Slot":
        return answer(fhir.slots.read_slot(ident, booking_link))
    if resource_type == "Appointment":
        _login()
        with on_primary():
            return answer(fhir_appointments.read(current_user, ident))
    if resource_type not in READS:
        raise FhirError(f"This server does not serve {resource_type} resources.", 404, "not_found")
    return answer(READS[resource_type][0](ident))


def _body() -> dict:
    """The request's JSON body; malformed JSON is a 400 OperationOutcome, a huge one a 413."""
    if request.mimetype not in (MIME, "application/json"):
        raise FhirError("Send the body as application/fhir+json.", 415 if request.data else 400, "invalid")
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        raise FhirError("The body is not valid JSON.") from None


@bp.route("/Appointment/$find", methods=["POST"])
@read_replica
def find():
    proposals = fhir_appointments.find(current_user, _body())
    return answer(fhir_resources.bundle(proposals, base_url(), total=len(proposals)))


@bp.route("/Appointment/$hold", methods=["POST"])
def hold():
    _login()
    body = _body()
    with transaction():
        held = fhir_appointments.hold(current_user, body)
    return _operation_result(held)


@bp.route("/Appointment/$book", methods=["POST"])
def book():
    _login()
    body = _body()
    with transaction():
        booked = fhir_appointments.book(current_user, body)
    return _operation_result(booked)


def _operation_result(appointment: Appointment) -> Response:
    """IHE ITI Scheduling answers $hold and $book with a Bundle holding the Appointment."""
    resource = fhir_appointments.as_resource(appointment)
    return answer(fhir_resources.bundle([resource], base_url(), total=1),
                  headers={"Location": f"{base_url()}/Appointment/{appointment.id}"})


@bp.route("/$bulk-publish")
def bulk_publish():
    return answer(fhir.publish.manifest(base_url(), request.url), headers={"Cache-Control": "no-cache"})


@bp.route("/$bulk-publish/<name>")
@read_replica
def bulk_file(name: str):
    kind = next((k for k, file in fhir.publish.FILES.items() if file == name), None)
    if kind is None:
        abort(404)
    # built whole, inside the request's session and replica choice, rather than streamed after the view returned
    return Response("".join(fhir.publish.ndjson(kind, booking_link)), mimetype="application/fhir+ndjson")


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str):
    raise FhirError("No such FHIR endpoint on this server.", 404, "not_found")
