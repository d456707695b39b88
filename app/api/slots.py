"""Free slots across the region (anyone may search).

The answer is rendered straight from the search's plain results (no ORM row, no marshmallow pass per slot) and
carries an ETag of its body, so a client polling the same search gets a bodiless 304 until a slot comes or goes.
A specialty search's body and ETag are kept per process until the specialty's slots change (answers.py); other
systems' slots (docs/federation.md) are read beside it at each search, never cached with it.

`sort=best` ranks the same slots "best for you" (docs/optimiser.md, "Best fit in the search"): the kept rows are
ranked for the caller after the cache, so the earliest answer stays exactly as it was.
"""
import json
from datetime import datetime

from flask import request
from flask_smorest import Blueprint

from app.api.common import fail, iso, own_patient
from app.api.schemas import SlotList, SlotQuerySchema
from app.extensions import db
from app.models import Hospital
from app.models.base import utcnow
from app.replica import read_replica
from app.services import ratings
from app.services.availability import answers, bestfit
from app.services.availability.query import SearchError, parse_slot_request
from app.services.availability.search import SlotResult
from app.services.directory import choices
from app.services.federation import slots as federation_slots
from app.web.reads import conditional_json, etag_of, json_bytes

blp = Blueprint("api_slots", __name__, description="Free slots")


@blp.route("/slots")
# documents and type-checks; the search reads the raw args. One instance for every request: a schema class would be
# instantiated (its fields deep-copied) on each search, the costliest step of a kept answer
@blp.arguments(SlotQuerySchema(), location="query")
@blp.response(200, SlotList)
@read_replica
def slots(_args):
    try:
        # the directory's cached specialties (a second behind an edit at most) spare a query per search
        query = parse_slot_request(request.args, utcnow().date(),
                                   listed_specialties={s for s, _ in choices.specialties()})
        sort = bestfit.parse_sort(request.args.get("sort"))
        times = bestfit.parse_times(request.args.get("times"))
        if sort == "best":
            patient = own_patient()
            fits = bestfit.ranked_results(answers.rows(query),
                                          bestfit.wishes(query, patient.id if patient else None, times))
            body, etag = _rendered([f.candidate.info for f in fits], [f.score for f in fits])
        else:
            body, etag = answers.answer(query, _rendered)
    except SearchError as err:
        fail(422, err.message, "invalid", {err.field: err.message})
    # other systems' slots are read beside the cached answer, never cached with it (docs/federation.md, "In
    # search"); they join the earliest answer only: best fit scores this portal's slots, whose days it knows
    external = federation_slots.for_query(query) if sort == "earliest" else []
    if external:
        body = _merged(body, external, query.limit)
        etag = etag_of(body)
    return conditional_json(body, etag=etag)


def _merged(body: bytes, external: list, limit: int) -> bytes:
    """The local answer and the external slots, earliest first, cut at the search's limit."""
    rows = json.loads(body)["slots"] + [federation_slots.as_api(item) for item in external]
    rows.sort(key=lambda row: datetime.fromisoformat(row["start"]))
    return json_bytes({"slots": rows[:limit]})


def _rendered(results: list[SlotResult], scores: list[float] | None = None) -> tuple[bytes, str]:
    """The answer's body and ETag, kept together by the answer cache (docs/availability-index.md); with `scores`
    (sort=best) each slot also carries its best-fit score."""
    zones = {h["id"]: h["timezone"] for h in choices.hospital_details()}
    missing = {r.hospital_id for r in results} - zones.keys()
    if missing:  # a hospital closed since the list was cached: its zone from the row itself
        zones.update(db.session.execute(db.select(Hospital.id, Hospital.timezone)
                                        .where(Hospital.id.in_(missing))).all())
    # approved ratings from the doctor rows: one query for the whole answer; moderation bumps the specialty's stamp,
    # so a kept answer never shows an old average (docs/ratings.md, "In search")
    rated = ratings.summaries({r.doctor_id for r in results})
    body = json_bytes({"slots": [
        {"doctor_id": r.doctor_id, "hospital_id": r.hospital_id,
         "start": iso(r.start, zones[r.hospital_id]), "end": iso(r.end, zones[r.hospital_id]),
         "appointment_type": r.appointment_type, "seats_left": r.seats_left,
         "distance_km": round(r.distance_km, 1) if r.distance_km is not None else None,
         "doctor_rating_average": rated.get(r.doctor_id, (None, 0))[0],
         "doctor_rating_count": rated.get(r.doctor_id, (None, 0))[1],
         **({} if scores is None else {"score": round(scores[i], 4)})}
        for i, r in enumerate(results)]})
    return body, etag_of(body)
