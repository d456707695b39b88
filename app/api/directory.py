"""Specialties, hospitals and doctors: readable by anyone.

The lists come from the directory's cache (app/services/directory/choices.py) and are rendered to JSON once per
directory version and process; answers carry an ETag and Last-Modified and say 304 to a matching If-None-Match.
"""
from flask_smorest import Blueprint

from app.api.common import fail
from app.api.schemas import DoctorList, DoctorQuery, HospitalList, SpecialtyList
from app.services.availability.query import SearchError, resolve_specialty
from app.services.directory import choices
from app.web.reads import conditional_json, etag_of, json_bytes

blp = Blueprint("api_directory", __name__, description="Specialties, hospitals and doctors")


def _cached_answer(key: tuple, payload):
    """The rendered list and its ETag, once per directory version; the answer to this request from them."""
    body, etag = choices.cached(("json", *key), lambda: _rendered(payload()))
    return conditional_json(body, etag=etag, last_modified=choices.version()[1])


def _rendered(payload) -> tuple[bytes, str]:
    body = json_bytes(payload)
    return body, etag_of(body)


@blp.route("/specialties")
@blp.response(200, SpecialtyList)
def specialties():
    return _cached_answer(("specialties",), lambda: {
        "specialties": [{"id": ident, "name": name} for ident, name in choices.specialties()]})


@blp.route("/hospitals")
@blp.response(200, HospitalList)
def hospitals():
    return _cached_answer(("hospitals",), lambda: {"hospitals": choices.hospital_details()})


@blp.route("/doctors")
@blp.arguments(DoctorQuery, location="query")
@blp.response(200, DoctorList)
def doctors(args):
    try:
        specialty_id = resolve_specialty(args.get("specialty"))
    except SearchError as err:
        fail(422, err.message, "unknown_specialty", {err.field: err.message})
    hospital_id = args.get("hospital")
    if hospital_id is not None and hospital_id not in {h["id"] for h in choices.hospital_details()}:
        # not an active hospital: answered from the rows, never kept, so no caller can fill the cache with ids
        return conditional_json(json_bytes({"doctors": choices.doctor_details(
            specialty_id=specialty_id, hospital_id=hospital_id, cache=False)}))
    return _cached_answer(("doctors", specialty_id, hospital_id), lambda: {
        "doctors": choices.doctor_details(specialty_id=specialty_id, hospital_id=hospital_id)})
