"""Socket.IO rooms and events: live slot availability (docs/architecture.md).

Pages that show slots join one room per doctor in view (event `watch`). When a booking, cancellation or move
commits, the view calls `publish_slot_changes()` and every watcher of that doctor receives `slot.changed`
`{doctor_id, hospital_id, start, end, status: "booked" | "freed"}` (ISO 8601 with the hospital's offset). With
SOCKETIO_MESSAGE_QUEUE set, Flask-SocketIO relays the emit through Redis to the clients of every process.

The front-desk queue has its own room per hospital (event `watch_queue`, see the queue section below) and event
`queue.changed`, announced by `publish_queue_changes()` after the commit.

Which slots changed is recorded by a SQLAlchemy flush hook rather than by each view: a reschedule frees the old
time and takes the new one, and the hook sees both from the attribute history. Changes wait in the session until
the view publishes them after its commit; a rollback drops them, so nothing is announced that did not happen.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_socketio import join_room
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app import scheduling as core
from app.extensions import db, socketio
from app.models import Appointment, Hospital, SchedulableResource, TokenSlot
from app.scheduling.codes import Kind

log = logging.getLogger(__name__)

EVENT = "slot.changed"
PENDING, COMMITTED = "waitless.slot_changes.pending", "waitless.slot_changes.committed"
MAX_ROOMS = 200  # a results page shows at most a few dozen doctors
BOOKED, FREED = "booked", "freed"


@dataclass(frozen=True)
class SlotChange:
    status: str  # booked | freed
    doctor_id: int
    hospital_id: int
    start: datetime  # naive UTC
    end: datetime
    tokens: bool = False  # a place in a token slot: the slot is only gone once its last place is
    tz: str | None = field(default=None, compare=False)  # the hospital's zone, when the session had it loaded


def doctor_room(doctor_id: int) -> str:
    return f"doctor:{doctor_id}"


# --- recording: what each flush did to appointments' hold on their doctor's time ---

def _old(state, attr: str, current):
    history = state.attrs[attr].history
    return history.deleted[0] if history.deleted else current


def _changes_of(appointment: Appointment, is_new: bool) -> list[SlotChange]:
    if appointment.doctor_id is None:  # a room booking is not in any patient's slot list
        return []
    active = appointment.status in core.HOLDING  # a waitlist hold is booked time to the slot lists
    now_held = SlotChange(BOOKED, appointment.doctor_id, appointment.hospital_id, appointment.start,
                          appointment.end, appointment.kind == Kind.TOKENS)
    if is_new:
        return [now_held] if active else []
    state = inspect(appointment)
    was_active = _old(state, "status", appointment.status) in core.HOLDING
    old = SlotChange(FREED, _old(state, "doctor_id", appointment.doctor_id),
                     _old(state, "hospital_id", appointment.hospital_id),
                     _old(state, "start", appointment.start), _old(state, "end", appointment.end),
                     _old(state, "kind", appointment.kind) == "tokens")
    moved = (old.doctor_id, old.start, old.end) != (now_held.doctor_id, now_held.start, now_held.end)
    changes = []
    if was_active and (not active or moved):
        changes.append(old)
    if active and (not was_active or moved):
        changes.append(now_held)
    return changes


@event.listens_for(Session, "after_flush")
def _record(session: Session, _flush_context) -> None:
    found = [c for obj in session.new if isinstance(obj, Appointment) for c in _changes_of(obj, True)]
    found += [c for obj in session.dirty if isinstance(obj, Appointment) and session.is_modified(obj)
              for c in _changes_of(obj, False)]
    if found:
        session.info.setdefault(PENDING, []).extend(replace(c, tz=_loaded_zone(session, c.hospital_id))
                                                    for c in found)


def _loaded_zone(session: Session, hospital_id: int) -> str | None:
    """The hospital's zone if the session holds it loaded (a booking's placement did): the publishing after the
    commit, when every row is expired, then needs no query for it."""
    hospital = session.identity_map.get(identity_key(Hospital, hospital_id))
    return None if hospital is None else inspect(hospital).dict.get("timezone")


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        session.info.setdefault(COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous_transaction) -> None:
    session.info.pop(PENDING, None)


# --- publishing ---

def _iso(instant: datetime, tz: str) -> str:
    return core.to_local(instant, ZoneInfo(tz)).isoformat()


def payload(change: SlotChange, tz: str) -> dict:
    return {"doctor_id": change.doctor_id, "hospital_id": change.hospital_id, "start": _iso(change.start, tz),
            "end": _iso(change.end, tz), "status": change.status}


def publish_slot_changes() -> int:
    """Emit `slot.changed` for every committed change not yet announced; call it once after each commit.

    A broken message queue must never turn a committed booking into an error page, so emit failures are logged.
    """
    changes: list[SlotChange] = db.session.info.pop(COMMITTED, [])
    if not changes:
        return 0
    zones = {c.hospital_id: c.tz for c in changes if c.tz}
    unknown = {c.hospital_id for c in changes} - set(zones)
    if unknown:
        zones.update(db.session.execute(select(Hospital.id, Hospital.timezone)
                                        .where(Hospital.id.in_(unknown))).all())
    sent = 0
    for change in _without_open_token_slots(_collapse(changes)):
        try:
            socketio.emit(EVENT, payload(change, zones.get(change.hospital_id, "UTC")),
                          to=doctor_room(change.doctor_id))
            sent += 1
        except Exception:  # noqa: BLE001  (Redis down: the page still updates on its next load)
            log.warning("could not announce %s", change, exc_info=True)
    return sent


def _without_open_token_slots(changes: list[SlotChange]) -> list[SlotChange]:
    """Drop "booked" for token slots that still have places: the slot stays on offer to everyone else."""
    taken = [c for c in changes if c.status == BOOKED and c.tokens]
    if not taken:
        return changes
    open_slots = set(db.session.execute(
        select(SchedulableResource.doctor_id, TokenSlot.start)
        .join(SchedulableResource, SchedulableResource.id == TokenSlot.resource_id)
        .where(SchedulableResource.doctor_id.in_({c.doctor_id for c in taken}),
               TokenSlot.start.in_({c.start for c in taken}), TokenSlot.issued < TokenSlot.capacity)).all())
    return [c for c in changes if not (c.status == BOOKED and c.tokens and (c.doctor_id, c.start) in open_slots)]


def _collapse(changes: list[SlotChange]) -> list[SlotChange]:
    """Drop pairs that cancel out within one transaction (booked then freed at the same time)."""
    result: list[SlotChange] = []
    for change in changes:
        opposite = next((c for c in result if (c.doctor_id, c.start, c.end) == (change.doctor_id, change.start,
                                                                                change.end)
                         and c.status != change.status), None)
        if opposite is not None:
            result.remove(opposite)
        else:
            result.append(change)
    return result


# --- the token queue (issue #5): boards refetch on `queue.changed` ---
# The queue service notes each change explicitly (it knows what a call announces); like slot changes, notes wait
# in the session until the caller's commit and vanish on a rollback. No patient names ever go over the socket: the
# waiting-room display is open to anyone in the room.

QUEUE_EVENT = "queue.changed"
QUEUE_PENDING, QUEUE_COMMITTED = "waitless.queue_changes.pending", "waitless.queue_changes.committed"


@dataclass(frozen=True)
class QueueChange:
    hospital_id: int
    doctor_id: int
    day: date  # the queue's local day
    called: tuple[str, str | None] | None = None  # (token label, room name) when a token was called


def queue_room(hospital_id: int) -> str:
    return f"queue:{hospital_id}"


def note_queue_change(hospital_id: int, doctor_id: int, day: date, *,
                      called: dict | None = None) -> None:
    """Remember a change of that doctor's queue; publish_queue_changes() announces it after the commit."""
    change = QueueChange(hospital_id, doctor_id, day,
                         (called["label"], called.get("room")) if called else None)
    db.session.info.setdefault(QUEUE_PENDING, []).append(change)


def queue_payload(change: QueueChange) -> dict:
    called = {"label": change.called[0], "room": change.called[1]} if change.called else None
    return {"hospital_id": change.hospital_id, "doctor_id": change.doctor_id, "day": change.day.isoformat(),
            "called": called}


@event.listens_for(Session, "after_commit")
def _queue_committed(session: Session) -> None:
    pending = session.info.pop(QUEUE_PENDING, None)
    if pending:
        session.info.setdefault(QUEUE_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _queue_rolled_back(session: Session, _previous_transaction) -> None:
    session.info.pop(QUEUE_PENDING, None)


def publish_queue_changes() -> int:
    """Emit `queue.changed` once per changed queue (and once per call) to the hospital's room, after the commit.

    Failures are logged, as for slots: the boards also refresh on their next load.
    """
    changes: list[QueueChange] = db.session.info.pop(QUEUE_COMMITTED, [])
    seen: set[QueueChange] = set()
    sent = 0
    for change in changes:
        if change.called is None and change in seen:
            continue  # one refetch per queue is enough; each call is announced (the display chimes for it)
        seen.add(change)
        try:
            socketio.emit(QUEUE_EVENT, queue_payload(change), to=queue_room(change.hospital_id))
            sent += 1
        except Exception:  # noqa: BLE001  (Redis down: the boards update on their next load)
            log.warning("could not announce %s", change, exc_info=True)
    return sent


def watch_queue(data) -> dict:
    """`watch_queue` {"hospital_id": int}: join that hospital's queue room (what it carries is public)."""
    value = data.get("hospital_id") if isinstance(data, dict) else None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return {"ok": False}
    join_room(queue_room(value))
    return {"ok": True, "room": queue_room(value)}


# --- the browser's side: join the rooms of the doctors in view ---

def watch(data) -> dict:
    """`watch` {"doctors": [ids]}: join each doctor's room; the reply says how many rooms were joined."""
    ids = data.get("doctors") if isinstance(data, dict) else None
    if not isinstance(ids, list):
        return {"ok": False, "rooms": 0}
    joined = 0
    for value in ids[:MAX_ROOMS]:
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            join_room(doctor_room(int(value)))
            joined += 1
    return {"ok": True, "rooms": joined}


def allowed_origins(app: Flask):
    """Accept the page's own origin and PUBLIC_BASE_URL, read per request (a test server changes the latter)."""
    def check(origin: str | None, environ: dict) -> bool:
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin in (own, app.config["PUBLIC_BASE_URL"].rstrip("/"))

    return check


def register_handlers(app: Flask) -> None:
    """Attach the event handlers to the app's Socket.IO server (each create_app makes a new server)."""
    socketio.on_event("watch", watch)
    socketio.on_event("watch_queue", watch_queue)
    socketio.server.eio.cors_allowed_origins = allowed_origins(app)
