"""The directory lists that every search form shows (specialties, cities, hospitals, doctors, languages).

They change a few times a day but are read on every search, so each process keeps them for up to a minute. Any
flush that writes a hospital, specialty, doctor or user clears this process's copy at once; other processes see the
change within ``TTL_SECONDS``, which is fine for a picker (the search itself always reads live data).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from itertools import chain

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Doctor, Hospital, Specialty, User, doctor_hospitals

TTL_SECONDS = 60
_WATCHED = (Hospital, Specialty, Doctor, User)
_TABLES = {"hospitals", "specialties", "doctors", "users", "doctor_hospitals"}
_lock = threading.Lock()
_cache: dict[tuple, tuple[float, object]] = {}


@event.listens_for(Session, "after_flush")
def _forget_on_write(session: Session, _context) -> None:
    if any(isinstance(obj, _WATCHED) for obj in chain(session.new, session.dirty, session.deleted)):
        clear()


@event.listens_for(Session, "do_orm_execute")
def _forget_on_bulk_write(state) -> None:
    """Bulk inserts and updates (the demo seed, deactivations) bypass the flush."""
    table = getattr(state.statement, "table", None)
    if (state.is_insert or state.is_update or state.is_delete) and getattr(table, "name", None) in _TABLES:
        clear()


def clear() -> None:
    with _lock:
        _cache.clear()


def _cached(key: tuple, load: Callable[[], object]):
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]
    value = load()
    with _lock:
        _cache[key] = (now, value)
    return value


def specialties() -> list[tuple[int, str]]:
    """Active specialties as (id, name), by name; names are translated by the caller."""
    return _cached(("specialties",), lambda: [tuple(r) for r in db.session.execute(
        select(Specialty.id, Specialty.name).where(Specialty.active).order_by(Specialty.name))])


def cities() -> list[str]:
    """The cities that have an active hospital."""
    return _cached(("cities",), lambda: list(db.session.scalars(
        select(Hospital.city).where(Hospital.active).distinct().order_by(Hospital.city))))


def hospitals() -> list[tuple[int, str, str]]:
    """Active hospitals as (id, name, city), by city and name."""
    return _cached(("hospitals",), lambda: [tuple(r) for r in db.session.execute(
        select(Hospital.id, Hospital.name, Hospital.city).where(Hospital.active)
        .order_by(Hospital.city, Hospital.name))])


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

    return _cached(("doctors", specialty_id, hospital_id, doctor_id), load)


def languages() -> list[str]:
    """The ISO 639-1 codes that active doctors speak."""
    return _cached(("languages",), lambda: sorted({
        code for langs in db.session.scalars(select(Doctor.languages).where(Doctor.active).distinct())
        for code in (langs or "").split(",") if code}))
