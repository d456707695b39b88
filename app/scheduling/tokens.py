"""Front-desk queue: one order for walk-ins and appointments, and the token labels shown on screens.

The rule a clerk can explain (docs/queue.md):

1. Emergencies go first, then patients staff marked urgent, each in order of arrival.
2. A booked patient who has arrived (at the latest ``late_grace_minutes`` after the slot: the hospital's no-show
   grace) is seen at their slot time. Once the slot has come, no walk-in passes them, whenever the walk-in came.
3. Walk-ins fill the gaps between booked slots: a walk-in goes in before a booked patient only when the doctor
   would be done with the walk-in by the booked time. VIP walk-ins before the others, then by arrival.
4. When no walk-in fits before the next booked time, the booked patient who is already here goes in early rather
   than the doctor waiting. A booked patient who came after the grace joins the walk-ins by arrival.
5. Staff may move a token (``manual_offset``) within its group (emergency, urgent, everyone else): a move never puts
   anyone ahead of an emergency.

``order_queue`` plays the day forward from when the doctor is next free (``now`` plus ``busy_minutes``, the
consultations in the room and the patients already called), one consultation of ``consultation_minutes`` at a
time, and at each turn picks by the rules above. The order depends on that start and on the pace, never on the
wall clock otherwise, so it only changes when the line ahead or the pace changes (or when time passes a booked
slot while the doctor is running late).

Entry statuses (``check_entry_transition``): waiting -> called -> in_progress -> completed; waiting or called ->
left | no_show; called -> waiting (a recall: the patient did not come when called). Anything else skips or reverses
a step and is refused. ``estimated_waits`` turns the serving order and the doctor's pace into minutes per waiting
token (see its docstring); ``serving_plan`` gives both from one set of inputs, as the boards use them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import InvalidTransition

PRIORITIES = ("emergency", "urgent", "vip", "normal")  # emergency, then urgent, then everyone else
PRIORITY_CHOICES = ("normal", "urgent", "emergency", "vip")  # the order a form offers them in
SOURCES = ("appointment", "walkin")
FIRST_GROUPS = ("emergency", "urgent")  # served before anyone else, each by arrival
LATE_GRACE_MINUTES = 30  # the hospital's default no-show grace (Hospital.noshow_grace_minutes)
PACE_WEIGHT = 0.2  # how far one consultation moves the doctor's pace towards its own length
_TIER = {p: i for i, p in enumerate(PRIORITIES)}


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A patient waiting at the desk; instants are naive UTC, ``slot_start`` None for walk-ins."""

    id: Hashable
    priority: str
    source: str
    arrived_at: datetime
    slot_start: datetime | None
    manual_offset: int = 0


def is_booked(item: QueueItem, late_grace_minutes: int = LATE_GRACE_MINUTES) -> bool:
    """Tell whether ``item`` keeps a booked time: an appointment with a slot, arrived by slot + grace."""
    return (item.source == "appointment" and item.slot_start is not None
            and item.arrived_at <= item.slot_start + timedelta(minutes=late_grace_minutes))


def _check(items: Sequence[QueueItem]) -> None:
    for item in items:
        if item.priority not in _TIER:
            raise ValueError(f"Unknown queue priority {item.priority!r}; expected one of {PRIORITIES}.")
        if item.source not in SOURCES:
            raise ValueError(f"Unknown queue source {item.source!r}; expected one of {SOURCES}.")


def order_queue(
    items: Sequence[QueueItem],
    now: datetime,
    *,
    consultation_minutes: float = 15,
    busy_minutes: float = 0,
    late_grace_minutes: int = LATE_GRACE_MINUTES,
) -> list[QueueItem]:
    """Return ``items`` in serving order (the module docstring gives the rules); raise ValueError on unknown values.

    The doctor is next free at ``now + busy_minutes`` and sees one patient per ``consultation_minutes``.
    """
    _check(items)
    step = timedelta(minutes=max(consultation_minutes, 1 / 60))  # a zero pace would never pass a booked time
    indexed = list(enumerate(items))
    first = {tier: [item for _, item in sorted(((i, it) for i, it in indexed if it.priority == tier),
                                               key=lambda pair: (pair[1].arrived_at, pair[0]))]
             for tier in FIRST_GROUPS}
    rest = [(i, it) for i, it in indexed if it.priority not in FIRST_GROUPS]
    booked = sorted(((i, it) for i, it in rest if is_booked(it, late_grace_minutes)),
                    key=lambda pair: (pair[1].slot_start, pair[1].arrived_at, pair[0]))
    walkins = sorted(((i, it) for i, it in rest if not is_booked(it, late_grace_minutes)),
                     key=lambda pair: (_TIER[pair[1].priority], pair[1].arrived_at, pair[0]))
    turn = now + timedelta(minutes=max(busy_minutes, 0)) + step * sum(len(group) for group in first.values())
    served: list[QueueItem] = []
    b = w = 0
    while b < len(booked) or w < len(walkins):
        # the booked patient goes when a walk-in would not be done by their time (their slot has come, or is
        # closer than one consultation), or when no walk-in is waiting
        if b < len(booked) and (w == len(walkins) or turn + step > booked[b][1].slot_start):
            served.append(booked[b][1])
            b += 1
        else:
            served.append(walkins[w][1])
            w += 1
        turn += step
    return [*_apply_offsets(first["emergency"]), *_apply_offsets(first["urgent"]), *_apply_offsets(served)]


def _apply_offsets(tier: list[QueueItem]) -> list[QueueItem]:
    """Move items with a manual offset to their target places inside one group."""
    if not any(item.manual_offset for item in tier):
        return tier
    last = len(tier) - 1
    result = [item for item in tier if not item.manual_offset]
    # Insert in ascending target order so each lands exactly on its target; on equal targets the item that was
    # ahead before stays ahead (it is inserted last, at the same index, in front of the other).
    moved = sorted(
        ((min(max(i + item.manual_offset, 0), last), -i, item) for i, item in enumerate(tier) if item.manual_offset),
        key=lambda t: (t[0], t[1]),
    )
    for target, _, item in moved:
        result.insert(target, item)
    return result


def token_label(prefix: str, number: int) -> str:
    """Return the display label of token ``number`` of a queue, e.g. ``token_label("car", 14) == "CAR-014"``."""
    if number < 0:
        raise ValueError("A token number cannot be negative.")
    prefix = prefix.strip().upper()
    return f"{prefix}-{number:03d}" if prefix else f"{number:03d}"


# --- entry statuses ---

WAITING, CALLED, IN_PROGRESS, COMPLETED, LEFT, NO_SHOW = (
    "waiting", "called", "in_progress", "completed", "left", "no_show")
ENTRY_STATUSES = (WAITING, CALLED, IN_PROGRESS, COMPLETED, LEFT, NO_SHOW)
ENTRY_ALLOWED: dict[str, frozenset[str]] = {
    WAITING: frozenset({CALLED, LEFT, NO_SHOW}),
    CALLED: frozenset({IN_PROGRESS, WAITING, LEFT, NO_SHOW}),
    IN_PROGRESS: frozenset({COMPLETED}),
    COMPLETED: frozenset(),
    LEFT: frozenset(),
    NO_SHOW: frozenset(),
}
OPEN_STATUSES = frozenset({WAITING, CALLED, IN_PROGRESS})
DONE_STATUSES = frozenset({COMPLETED, LEFT, NO_SHOW})


def can_enter(old: str, new: str) -> bool:
    """Tell whether a queue entry may go from status ``old`` to ``new``."""
    return new in ENTRY_ALLOWED.get(old, frozenset())


def check_entry_transition(old: str, new: str) -> None:
    """Raise ``InvalidTransition`` (field ``status``) unless a queue entry may go from ``old`` to ``new``."""
    if new not in ENTRY_ALLOWED:
        raise InvalidTransition(f"Unknown queue status '{new}'.", "status")
    if not can_enter(old, new):
        allowed = ", ".join(sorted(s.replace("_", " ") for s in ENTRY_ALLOWED.get(old, ()))) or "nothing"
        raise InvalidTransition(
            f"A token that is {old.replace('_', ' ')} cannot become {new.replace('_', ' ')} "
            f"(allowed: {allowed}).", "status")


# --- estimated waits ---

def typical_minutes(consultations_minutes: Sequence[float], *, default_minutes: float = 15,
                    weight: float = PACE_WEIGHT) -> float:
    """The doctor's pace: the length of one consultation, learnt from the day's consultations (oldest first).

    It starts at ``default_minutes`` (the schedule's slot length) and each consultation moves it ``weight`` of the
    way towards its own length, counted at most double and at least half the pace so far: one visit that ran an
    hour, or the first visit of the day, does not double every estimate. A consultation that takes exactly the pace
    leaves it as it was, so a visit ending on time never moves anyone's estimate by more than the time that
    passed. Lengths that cannot be real (0 or negative, or over 8 hours: a token left open overnight) are ignored.
    """
    pace = float(default_minutes)
    for minutes in consultations_minutes:
        if not 0 < minutes <= 480:
            continue
        if pace <= 0:
            pace = float(minutes)
            continue
        pace += weight * (min(max(minutes, pace / 2), pace * 2) - pace)
    return pace


def busy_minutes(typical: float, now: datetime, *, in_progress_started: Sequence[datetime] = (),
                 called_ahead: int = 0) -> float:
    """Minutes until the doctor is free for the first waiting patient: what is left of the consultations in
    progress (each the pace minus the time already spent, never below zero) and a full pace per patient already
    called but not yet in the room."""
    ahead = called_ahead * typical
    for started in in_progress_started:
        spent = max((now - started).total_seconds() / 60, 0.0)
        ahead += max(typical - spent, 0.0)
    return ahead


def estimated_waits(
    ordered_items: Sequence[QueueItem],
    consultations_minutes: Sequence[float],
    now: datetime,
    *,
    in_progress_started: Sequence[datetime] = (),
    called_ahead: int = 0,
    default_minutes: float = 15,
) -> dict[Hashable, int]:
    """Minutes until each waiting item (in serving order, as ``order_queue`` gives them) should be seen.

    One consultation takes ``typical_minutes`` (the pace). Ahead of the first waiting item is ``busy_minutes``;
    the k-th waiting item then waits for the k items before it (``order_queue`` never leaves the doctor idle, so
    the line has no holes). Rounded up to whole minutes.
    """
    typical = typical_minutes(consultations_minutes, default_minutes=default_minutes)
    ahead = busy_minutes(typical, now, in_progress_started=in_progress_started, called_ahead=called_ahead)
    return {item.id: _ceil(ahead + index * typical) for index, item in enumerate(ordered_items)}


def serving_plan(
    items: Sequence[QueueItem],
    consultations_minutes: Sequence[float],
    now: datetime,
    *,
    in_progress_started: Sequence[datetime] = (),
    called_ahead: int = 0,
    default_minutes: float = 15,
    late_grace_minutes: int = LATE_GRACE_MINUTES,
) -> tuple[list[QueueItem], dict[Hashable, int]]:
    """The serving order and the estimated waits from one pace and one "doctor free at": what a board shows."""
    typical = typical_minutes(consultations_minutes, default_minutes=default_minutes)
    ahead = busy_minutes(typical, now, in_progress_started=in_progress_started, called_ahead=called_ahead)
    ordered = order_queue(items, now, consultation_minutes=typical, busy_minutes=ahead,
                          late_grace_minutes=late_grace_minutes)
    waits = estimated_waits(ordered, consultations_minutes, now, in_progress_started=in_progress_started,
                            called_ahead=called_ahead, default_minutes=default_minutes)
    return ordered, waits


def _ceil(minutes: float) -> int:
    whole = int(minutes)
    return whole if whole >= minutes - 1e-9 else whole + 1
