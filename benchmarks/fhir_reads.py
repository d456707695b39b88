"""FHIR reads on the small demo region: Slot searches and the SMART Scheduling Links slot file.

    python -m benchmarks.fhir_reads [--db URL] [--seed N] [--searches 100]

Seeds the small demo (app.demo.small) and indexes its availability, then times, through the app's own WSGI stack,
`GET /fhir/Slot?specialty=...` (the first page of 50 free slots of a random specialty, every resource checked by
fhir.resources) and one build of `/fhir/$bulk-publish/slots.ndjson` (every free slot of four weeks). Prints
{"bench": "fhir_reads", "db", "searches", "search_p50_ms", "search_p95_ms", "slots_per_page_mean",
"publish_seconds", "published_slots", "published_slots_per_second"}.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

from sqlalchemy import select

from app.demo.small import seed_small
from app.extensions import db
from app.models import Specialty
from app.services.availability import index
from app.transaction import transaction
from benchmarks._common import dialect_label, emit, log, make_app, ms, parse, parser, percentile, reset_schema


def arguments() -> argparse.ArgumentParser:
    """The common flags (benchmarks/_common.py) and this benchmark's own."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--searches", type=int, default=100, help="Slot searches to time (default 100)")
    return args


def main(argv: list[str] | None = None) -> None:
    options = parse(arguments(), argv)
    app = make_app(options.db)
    with app.app_context():
        reset_schema()
        log("seeding the small demo...")
        seed_small(options.seed)
        with transaction():
            for doctor_id in index.doctor_ids():
                index.rebuild(doctor_id)
        codes = list(db.session.scalars(select(Specialty.code).order_by(Specialty.id)))
        db.session.remove()
    client = app.test_client()
    rng = random.Random(options.seed)
    client.get("/fhir/Slot", query_string={"specialty": codes[0]})  # warm-up
    timings, sizes = [], []
    for _ in range(options.searches):
        started = time.perf_counter()
        res = client.get("/fhir/Slot", query_string={"specialty": rng.choice(codes)})
        timings.append(time.perf_counter() - started)
        assert res.status_code == 200, res.get_data(as_text=True)
        sizes.append(len(res.get_json().get("entry", [])))
    started = time.perf_counter()
    res = client.get("/fhir/$bulk-publish/slots.ndjson")
    publish = time.perf_counter() - started
    published = len(res.get_data(as_text=True).splitlines())
    with app.app_context():
        label = dialect_label()
    emit({"bench": "fhir_reads", "db": label, "searches": options.searches,
          "search_p50_ms": ms(percentile(timings, 50)), "search_p95_ms": ms(percentile(timings, 95)),
          "slots_per_page_mean": round(statistics.mean(sizes), 1), "publish_seconds": round(publish, 2),
          "published_slots": published, "published_slots_per_second": round(published / publish, 1)})


if __name__ == "__main__":
    main()
