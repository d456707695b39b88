"""Free slots across the region (anyone may search)."""
from flask import request
from flask_smorest import Blueprint

from app.api.common import fail, iso
from app.api.schemas import SlotList, SlotQuerySchema
from app.extensions import db
from app.models import Hospital
from app.models.base import utcnow
from app.replica import read_replica
from app.services.availability.query import SearchError, parse_slot_request
from app.services.availability.search import search_slots

blp = Blueprint("api_slots", __name__, description="Free slots")


@blp.route("/slots")
@blp.arguments(SlotQuerySchema, location="query")  # documents and type-checks; the search reads the raw args
@blp.response(200, SlotList)
@read_replica
def slots(_args):
    try:
        results = search_slots(parse_slot_request(request.args, utcnow().date()))
    except SearchError as err:
        fail(422, err.message, "invalid", {err.field: err.message})
    zones = dict(db.session.execute(db.select(Hospital.id, Hospital.timezone)
                                    .where(Hospital.id.in_({r.hospital_id for r in results}))).all())
    return {"slots": [{"doctor_id": r.doctor_id, "hospital_id": r.hospital_id,
                       "start": iso(r.start, zones[r.hospital_id]), "end": iso(r.end, zones[r.hospital_id]),
                       "appointment_type": r.appointment_type, "seats_left": r.seats_left,
                       "distance_km": round(r.distance_km, 1) if r.distance_km is not None else None}
                      for r in results]}
