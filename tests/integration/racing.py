"""cosmicpython's proof, shared by the race tests: writers on the real database, released together.

Each racer is a thread with its own app context, session and connection, held at a barrier until all are ready.
A SchedulingError is an answer (the racer lost); anything else is a defect, reported instead of hanging the others.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import text

from app import scheduling as core
from app.extensions import db


def race(app, work: Callable[[int], object], count: int, *, timeout: int = 60) -> tuple[list[object], list[str]]:
    """Run work(i) in `count` threads released together, each committing its own work.

    Returns (results, errors): each racer's return value or the SchedulingError it lost with, and the unexpected
    errors as text.
    """
    barrier = threading.Barrier(count)
    results: list[object] = []
    errors: list[str] = []

    def racer(i: int):
        with app.app_context():
            try:
                barrier.wait(timeout=timeout)
                results.append(work(i))
                db.session.commit()
            except core.SchedulingError as err:
                db.session.rollback()
                results.append(err)
            except Exception as err:  # a defect or a lock timeout: report it, never leave the others waiting
                db.session.rollback()
                errors.append(repr(err)[:300])
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=racer, args=(i,), name=f"racer-{i}") for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def double_booked_cells() -> int:
    """Claim cells held twice on one seat, counted in plain SQL (the unique index should make it 0)."""
    return db.session.execute(text(
        "SELECT COUNT(*) FROM (SELECT resource_id, cell_start, seat FROM claims "
        "GROUP BY resource_id, cell_start, seat HAVING COUNT(*) > 1) AS d")).scalar()
