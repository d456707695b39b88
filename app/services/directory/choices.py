"""The directory lists that every search form and the API show (specialties, cities, hospitals, doctors, languages).

They change a few times a day but are read on every search, so each process keeps them in memory, tagged with
the directory's version: a row in `cache_versions` that every write to a hospital, specialty, doctor or doctor's
name bumps inside the writer's own transaction (the flush hooks below), so the new version commits, or rolls back,
with the edit itself. A process clears its own copy at that flush and asks the row again at most every
VERSION_CHECK_SECONDS; another gunicorn worker therefore shows an edit within a second, never a list older than
the version it names (docs/operations.md, "Caching"). The search itself always reads live data.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from itertools import chain

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import CacheVersion, Doctor, Hospital, Specialty, User, doctor_hospitals
from app.models.base import utcnow
from app.services.rows import count_up

DIRECTORY = "directory"
# How stale another process's lists may be: a second, because a picker or an API list a second behind an admin's
# edit misleads nobody (booking checks live rows), while asking the database on every read would cost a query each.
VERSION_CHECK_SECONDS = 1.0
_WHOLE_ROWS = (Hospital, Specialty, Doctor)
_USER_FIELDS = ("name", "active")  # what of a user the lists show (a doctor's name); logins touch other columns
_TABLES = {"hospitals", "specialties", "doctors", "users", "doctor_hospitals"}
_BUMPED = "directory_version_bumped"
_lock = threading.Lock()
_cache: dict[tuple, tuple[int, object]] = {}
_known: dict[str, object] = {"version": None, "changed_at": None, "checked": float("-inf")}


def _changes_lists(obj, session: Session) -> bool:
    if isinstance(obj, _WHOLE_ROWS):
        return True
    if isinstance(obj, User):
        if obj in session.new:
            return False  # a new user is on no list until a doctor row names them, which bumps itself
        if obj in session.deleted:
            return True
        state = db.inspect(obj)
        return any(state.attrs[name].history.has_changes() for name in _USER_FIELDS)
    return False


@event.listens_for(Session, "after_flush")
def _bump_on_write(session: Session, _context) -> None:
    if any(_changes_lists(obj, session) for obj in chain(session.new, session.dirty, session.deleted)):
        bump(session)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_write(state) -> None:
    """Bulk inserts and updates (the demo seed, deactivations) bypass the flush."""
    table = getattr(state.statement, "table", None)
    if (state.is_insert or state.is_update or state.is_delete) and getattr(table, "name", None) in _TABLES:
        bump(state.session)


def bump(session: Session | None = None) -> None:
    """A new directory version in the session's transaction (one upsert on a one-row key), and this process's
    copies forgotten at once. Core statements on the connection: they run no ORM events, so no recursion."""
    session = session or db.session
    count_up(CacheVersion, [{"name": DIRECTORY}], "version", also={"changed_at": utcnow()},
             connection=session.connection())
    session.info[_BUMPED] = True
    clear()


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    """Once the new version is visible, this process re-reads at once rather than within the second: a request
    that read the lists between the flush and the commit may have kept the old ones under the old version."""
    if session.info.pop(_BUMPED, False):
        clear()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_bump(session: Session) -> None:
    session.info.pop(_BUMPED, None)


def clear() -> None:
    """Forget this process's copies; the next read asks the version row again."""
    with _lock:
        _cache.clear()
        _known["checked"] = float("-inf")


def kept() -> int:
    """How many copies this process keeps now (a bound the tests check)."""
    with _lock:
        return len(_cache)


def version() -> tuple[int, datetime | None]:
    """The directory's version and when it changed, as this process last saw it (at most VERSION_CHECK_SECONDS
    ago). 0 before anything was ever written through the app."""
    now = time.monotonic()
    with _lock:
        if now - _known["checked"] < VERSION_CHECK_SECONDS and _known["version"] is not None:
            return _known["version"], _known["changed_at"]
    row = db.session.execute(select(CacheVersion.version, CacheVersion.changed_at)
                             .where(CacheVersion.name == DIRECTORY)).first()
    current, changed = (row[0], row[1]) if row else (0, None)
    with _lock:
        if _known["version"] != current:
            _cache.clear()
        _known.update(version=current, changed_at=changed, checked=now)
    return current, changed


def cached(key: tuple, load: Callable[[], object]):
    """`load()` once per directory version in this process: the lists below, and what the API renders of them.
    The version is read before the data, in the same transaction, so a copy is never older than its tag."""
    current, _ = version()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == current:
        return hit[1]
    value = load()
    with _lock:
        if _known["version"] == current:
            _cache[key] = (current, value)
    return value


def specialties() -> list[tuple[int, str]]:
    """Active specialties as (id, name), by name; names are translated by the caller."""
    return cached(("specialties",), lambda: [tuple(r) for r in db.session.execute(
        select(Specialty.id, Specialty.name).where(Specialty.active).order_by(Specialty.name))])


def cities() -> list[str]:
    """The cities that have an active hospital."""
    return cached(("cities",), lambda: list(db.session.scalars(
        select(Hospital.city).where(Hospital.active).distinct().order_by(Hospital.city))))


def hospitals() -> list[tuple[int, str, str]]:
    """Active hospitals as (id, name, city), by city and name."""
    return cached(("hospitals",), lambda: [tuple(r) for r in db.session.execute(
        select(Hospital.id, Hospital.name, Hospital.city).where(Hospital.active)
        .order_by(Hospital.city, Hospital.name))])


def hospital_details() -> list[dict]:
    """Active hospitals with their place, time zone and currency, by name: the API's hospital list."""
    return cached(("hospital_details",), lambda: [dict(r._mapping) for r in db.session.execute(
        select(Hospital.id, Hospital.name, Hospital.city, Hospital.country, Hospital.lat, Hospital.lon,
               Hospital.timezone, Hospital.currency).where(Hospital.active).order_by(Hospital.name))])


def doctors(*, specialty_id: int | None = None, hospital_id: int | None = None,
            doctor_id: int | None = None) -> list[tuple[int, str]]:
    """Active doctors as (id, name) by name, of one specialty, one hospital or just the one chosen."""
    def load():
        query = select(Doctor.id, User.name).join(User, User.id == Doctor.user_id).where(Doctor.active, User.active)
        if specialty_id is not None:
            query = query.where(Doctor.specialty_id == specialty_id)
        elif hospital_id is not None:
            query = query.join(doctor_hospitals).where(doctor_hospitals.c.hospital_id == hospital_id)
        else:
            query = query.where(Doctor.id == doctor_id)
        return sorted((tuple(r) for r in db.session.execute(query)), key=lambda r: r[1])

    return cached(("doctors", specialty_id, hospital_id, doctor_id), load)


def doctor_details(*, specialty_id: int | None = None, hospital_id: int | None = None,
                   cache: bool = True) -> list[dict]:
    """Active doctors by id with their specialty, active hospitals (by name), languages and fee: the API's
    doctor list, read as plain rows (two queries) rather than one ORM object per doctor. cache=False reads
    without keeping: for keys a caller chooses freely (a hospital id that is no active hospital)."""
    def load():
        query = (select(Doctor.id, User.name, Doctor.specialty_id, Specialty.name.label("specialty"),
                        Doctor.languages, Doctor.fee)
                 .join(User, User.id == Doctor.user_id).join(Specialty, Specialty.id == Doctor.specialty_id)
                 .where(Doctor.active).order_by(Doctor.id))
        if specialty_id is not None:
            query = query.where(Doctor.specialty_id == specialty_id)
        if hospital_id is not None:
            query = query.where(Doctor.id.in_(select(doctor_hospitals.c.doctor_id)
                                              .where(doctor_hospitals.c.hospital_id == hospital_id)))
        rows = db.session.execute(query).all()
        places: dict[int, list[int]] = {}
        if rows:
            links = db.session.execute(
                select(doctor_hospitals.c.doctor_id, Hospital.id)
                .join(Hospital, Hospital.id == doctor_hospitals.c.hospital_id)
                .where(Hospital.active, doctor_hospitals.c.doctor_id.in_([r.id for r in rows]))
                .order_by(Hospital.name))
            for doctor, hospital in links:
                places.setdefault(doctor, []).append(hospital)
        return [{"id": r.id, "name": r.name, "specialty_id": r.specialty_id, "specialty": r.specialty,
                 "hospital_ids": places.get(r.id, []), "languages": [c for c in r.languages.split(",") if c],
                 "fee": str(r.fee)} for r in rows]

    return cached(("doctor_details", specialty_id, hospital_id), load) if cache else load()


def languages() -> list[str]:
    """The ISO 639-1 codes that active doctors speak."""
    return cached(("languages",), lambda: sorted({
        code for langs in db.session.scalars(select(Doctor.languages).where(Doctor.active).distinct())
        for code in (langs or "").split(",") if code}))
