"""Search answers kept per process (docs/availability-index.md, "Cached answers").

A specialty search's answer is a function of the question, the index rows of that specialty (and the doctors' and
hospitals' rows the search joins, whose edits re-index their doctors) and the moment of the search. So each process
keeps the rendered answer of a question under the specialty's stamp (stamps.py): a later identical question gets it
again while

- the stamp is unchanged: it is read on every request, before the search, in the same transaction, so an answer is
  never filed under a newer stamp than the data it was computed from, and any write that changed the specialty's
  slots (a booking, a cancellation, a schedule edit, leave ...) committed a new stamp;
- the clock has not reached the instant the search named (search.indexed_search_until): the first result's
  `book_by` (nothing is offered that the booking service would refuse as too late), or the `release_at` of a
  held-back slot or the `open_from` of a day entering the horizon among the rows up to the last result (they change
  no row, so no stamp, yet they change the answer).

Questions without a specialty, searches on a simulated clock, and transactions that have written are answered
without the cache. Another specialty's answers stay: a booking in cardiology does not recompute dermatology.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import fields
from typing import TypeVar

from cachetools import LRUCache

from app.extensions import db
from app.models.base import utcnow
from app.services.availability import index, stamps
from app.services.availability.query import SlotQuery, validate
from app.services.availability.search import SlotResult, indexed_search_until, search_slots

DEFAULT_SIZE = 4096  # answers per process: a few tens of MB at most (an answer of 50 slots is about 10 kB)

T = TypeVar("T")
_FIELDS = tuple(f.name for f in fields(SlotQuery))
_lock = threading.Lock()
_answers: LRUCache = LRUCache(maxsize=DEFAULT_SIZE)
_computing: dict[tuple, threading.Event] = {}  # questions being answered now, and the event their waiters wait on
_new_event = threading.Event
COMPUTE_WAIT_SECONDS = 10.0  # a waiter computes the answer itself after this (the first one failed or hangs)


def configure(size: int) -> None:
    """Bound this process's cache (the app's SLOT_ANSWER_CACHE_SIZE); 0 switches it off. Forgets what it holds."""
    global _answers
    with _lock:
        _answers = LRUCache(maxsize=size) if size > 0 else None


def clear() -> None:
    with _lock:
        if _answers is not None:
            _answers.clear()
    stamps.forget_all()


def kept() -> int:
    with _lock:
        return 0 if _answers is None else len(_answers)


def _key(query: SlotQuery) -> tuple:
    """The question as a flat tuple of its fields (hashable values: dates, numbers, strings, tuples)."""
    return tuple(getattr(query, name) for name in _FIELDS)


def _cacheable(query: SlotQuery) -> bool:
    if _answers is None or query.specialty_id is None:
        return False
    if not db.session.registry.has():
        return True  # no session opened in this request yet: nothing written (and none opened just to ask)
    session = db.session
    wrote = session.new or session.dirty or session.deleted or session.info.get(index.PENDING) or \
        stamps.noted(session)
    return not wrote


def answer(query: SlotQuery, render: Callable[[list[SlotResult]], T]) -> T:
    """render(search_slots(query)), or what `render` (a module-level function: it is part of the key) made of an
    earlier identical question whose specialty has not changed since."""
    validate(query)
    if not _cacheable(query):
        return render(search_slots(query))
    key = (render, _key(query))  # each renderer keeps its own answers
    kept_answer = _kept(key, query.specialty_id)
    if kept_answer is not None:
        return kept_answer
    # one computation per question at a time in this process: the threads asking the same question meanwhile wait
    # for it instead of each running the same search (a process's first minute, or after a busy specialty's change)
    with _lock:
        running = _computing.get(key)
        mine = running is None
        if mine:
            running = _computing[key] = _new_event()
    if not mine:
        running.wait(COMPUTE_WAIT_SECONDS)
        kept_answer = _kept(key, query.specialty_id)
        if kept_answer is not None:
            return kept_answer
    try:
        stamp = stamps.current(query.specialty_id)  # first: the data read after it is at least as new
        results, until = indexed_search_until(query, utcnow())
        rendered = render(results)
        with _lock:
            if _answers is not None:
                _answers[key] = (rendered, until, stamp)
        return rendered
    finally:
        if mine:
            with _lock:
                _computing.pop(key, None)
            running.set()


def _kept(key: tuple, specialty_id: int):
    """The kept answer of the question while its stamp is the one this process last saw and its clock has not
    run out; else None."""
    with _lock:
        kept_answer = _answers.get(key) if _answers is not None else None
    if kept_answer is not None and kept_answer[2] == stamps.seen(specialty_id) \
            and (kept_answer[1] is None or utcnow() < kept_answer[1]):
        return kept_answer[0]
    return None


def _rows(results: list[SlotResult]) -> list[SlotResult]:
    return results


def rows(query: SlotQuery) -> list[SlotResult]:
    """The search's plain results, kept like a rendered answer: "best for you" ranks them per patient afterwards
    (bestfit.py). Callers must not change the list."""
    return answer(query, _rows)
