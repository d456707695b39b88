"""What a booking holds, and giving it back: claim rows per 5-minute cell and resource, token places, day counts.

Double booking is impossible because every "slots" booking inserts one Claim per cell per resource and
UNIQUE(resource_id, cell_start, seat) lets only one writer win; token slots and daily limits use conditional
updates on known rows (docs/architecture.md, "Integrity"). Nothing here commits.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Claim, DayCounter, TokenSlot
from app.scheduling.codes import Kind
from app.services.availability import resource_for_doctor, resource_for_room
from app.services.booking.placement import Placement
from app.services.rows import count_up, ensure_row

# the fields an audit event records of an appointment before and after a booking change
AUDIT_FIELDS = ("status", "start", "end", "doctor_id", "patient_id", "hospital_id", "appointment_type", "urgency",
                "urgency_by_patient",
                "reason", "cancel_reason")
LOCK_ERRORS = (1205, 1213)  # MySQL lock wait timeout, deadlock: a racing writer won


def _claim_rows(appointment: Appointment, cells: list[datetime], resource_ids: list[int]) -> list[dict]:
    return [{"resource_id": r, "cell_start": c, "seat": 0, "appointment_id": appointment.id}
            for r in resource_ids for c in cells]


@contextmanager
def lost_race():
    """A unique-index violation or a lock conflict means a racing writer got there first.

    No savepoint: after a lost race the whole transaction is void (InnoDB even rolls it back itself on a
    deadlock), and the caller rolls back.
    """
    try:
        yield
    except IntegrityError:
        raise core.SlotTaken("This time has just been taken. Please choose another.", "start") from None
    except OperationalError as err:
        if err.orig and err.orig.args and err.orig.args[0] in LOCK_ERRORS:
            raise core.SlotTaken("This time has just been taken. Please choose another.", "start") from None
        raise


def insert_claims(rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(Claim.__table__), rows)  # the table's insert: plain rows, no ORM bulk path


def _take_token(resource_id: int, slot_start: datetime, capacity: int) -> None:
    ensure_row(TokenSlot, {"resource_id": resource_id, "start": slot_start}, {"capacity": capacity, "issued": 0})
    taken = db.session.execute(update(TokenSlot).where(
        TokenSlot.resource_id == resource_id, TokenSlot.start == slot_start, TokenSlot.issued < TokenSlot.capacity)
        .values(issued=TokenSlot.issued + 1)).rowcount
    if taken == 0:
        raise core.SlotTaken("All tokens of this session are taken. Please choose another.", "start")


def _release_token(resource_id: int, slot_start: datetime) -> None:
    db.session.execute(update(TokenSlot).where(TokenSlot.resource_id == resource_id, TokenSlot.start == slot_start,
                                               TokenSlot.issued > 0).values(issued=TokenSlot.issued - 1))


def count_on_day(resource_id: int, day, limit: int | None) -> None:
    """Count a booking on the resource's day; the conditional update is the daily limit's lock. Without a limit
    there is nothing to check: one upsert counts."""
    if limit is None:
        count_up(DayCounter, [{"resource_id": resource_id, "day": day}], "count")
        return
    ensure_row(DayCounter, {"resource_id": resource_id, "day": day}, {"count": 0})
    query = update(DayCounter).where(DayCounter.resource_id == resource_id, DayCounter.day == day)
    if limit is not None:
        query = query.where(DayCounter.count < limit)
    if db.session.execute(query.values(count=DayCounter.count + 1)).rowcount == 0:
        raise core.DailyLimitReached("No more appointments can be booked on that day.", "start")


def _uncount_day(resource_id: int, day) -> None:
    db.session.execute(update(DayCounter).where(DayCounter.resource_id == resource_id, DayCounter.day == day,
                                                DayCounter.count > 0).values(count=DayCounter.count - 1))


def _resource_ids(appointment: Appointment) -> list[int]:
    ids = [resource_for_doctor(appointment.doctor_id).id]
    if appointment.holds_room and appointment.room_id is not None:
        ids.append(resource_for_room(appointment.room_id).id)
    return ids


def hold_resources(appointment: Appointment, placement: Placement, *, skip_cells: set[datetime] = frozenset(),
          count_day: bool = True) -> None:
    """Claim what the appointment needs: its cells (or a token), and a place in the day's count."""
    doctor_resource = placement.calendar.resource_id
    with lost_race():
        if appointment.kind == Kind.TOKENS:
            capacity = next(s.capacity for s in placement.group.slots if s.start == appointment.start)
            _take_token(doctor_resource, appointment.start, capacity)
        else:
            cells = [c for c in core.cells(appointment.start, appointment.end) if c not in skip_cells]
            insert_claims(_claim_rows(appointment, cells, _resource_ids(appointment)))
        if count_day:
            count_on_day(doctor_resource, core.local_day(appointment.start, placement.calendar.tz),
                       placement.group.policy.daily_limit)


def release_resources(appointment: Appointment, *, start: datetime | None = None, kind: str | None = None,
             tz: ZoneInfo | None = None, keep_cells: set[datetime] = frozenset(), count_day: bool = True) -> None:
    """Give back what the appointment held at `start` (default: where it is now)."""
    start, kind = start or appointment.start, kind or appointment.kind
    if kind in (Kind.LOCATION, Kind.TEAM):  # room and team bookings hold claims only: no token, no daily count
        db.session.execute(delete(Claim).where(Claim.appointment_id == appointment.id))
        return
    tz = tz or ZoneInfo(appointment.hospital.timezone)
    resource_id = resource_for_doctor(appointment.doctor_id).id
    if kind == Kind.TOKENS:
        _release_token(resource_id, start)
    else:
        query = delete(Claim).where(Claim.appointment_id == appointment.id)
        if keep_cells:
            query = query.where(Claim.cell_start.not_in(keep_cells))
        db.session.execute(query)
    if count_day:
        _uncount_day(resource_id, core.local_day(start, tz))
