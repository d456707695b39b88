"""Free slots across the region (anyone may search)."""
from datetime import date, timedelta

from flask_smorest import Blueprint

from app.api.common import fail, iso
from app.api.schemas import SlotList, SlotQuerySchema
from app.extensions import db
from app.models import Hospital
from app.models.base import utcnow
from app.services.search import SearchError, SlotQuery, resolve_specialty, search_slots

blp = Blueprint("api_slots", __name__, description="Free slots")
DEFAULT_DAYS = 14


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(422, f"'{field}' must be a date like 2026-03-02.", "invalid", {field: "Use YYYY-MM-DD."})


def _near(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        fail(422, "'near' must be lat,lon.", "invalid", {"near": "Use lat,lon, e.g. 51.50,-0.12."})
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        fail(422, "'near' is not on Earth.", "invalid", {"near": "Latitude -90..90, longitude -180..180."})
    return lat, lon


@blp.route("/slots")
@blp.arguments(SlotQuerySchema, location="query")
@blp.response(200, SlotList)
def slots(args):
    first = _day(args.get("from"), "from") or utcnow().date()
    last = _day(args.get("to"), "to") or first + timedelta(days=DEFAULT_DAYS - 1)
    near = _near(args.get("near"))
    if args.get("radius_km") is not None and near is None:
        fail(422, "A radius needs 'near'.", "invalid", {"near": "Give lat,lon with radius_km."})
    if not any(args.get(k) for k in ("specialty", "doctor", "hospital")):
        fail(422, "Give a specialty, a doctor or a hospital.", "invalid", {"specialty": "Required."})
    try:
        query = SlotQuery(first_day=first, last_day=last, specialty_id=resolve_specialty(args.get("specialty")),
                          hospital_id=args.get("hospital"), doctor_id=args.get("doctor"), near=near,
                          radius_km=args.get("radius_km"), urgency=args["urgency"],
                          appointment_type=args.get("appointment_type"), language=args.get("language"),
                          limit=args["limit"])
        results = search_slots(query)
    except SearchError as err:
        fail(422, err.message, "invalid", {err.field: err.message})
    zones = dict(db.session.execute(db.select(Hospital.id, Hospital.timezone)
                                    .where(Hospital.id.in_({r.hospital_id for r in results}))).all())
    return {"slots": [{"doctor_id": r.doctor_id, "hospital_id": r.hospital_id,
                       "start": iso(r.start, zones[r.hospital_id]), "end": iso(r.end, zones[r.hospital_id]),
                       "appointment_type": r.appointment_type, "seats_left": r.seats_left,
                       "distance_km": round(r.distance_km, 1) if r.distance_km is not None else None}
                      for r in results]}
