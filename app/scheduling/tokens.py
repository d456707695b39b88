"""Front-desk queue: one order for walk-ins and appointments, and the token labels shown on screens.

| rule                | detail                                                                                   |
|---------------------|------------------------------------------------------------------------------------------|
| tiers               | emergency, then urgent, then VIP, then normal; no item ever leaves its tier              |
| time key            | within a tier the earlier effective time goes first                                      |
| on-time appointment | arrived by ``slot_start + late_grace``: key = ``slot_start``                             |
| late appointment    | arrived after that: key = ``arrived_at + late_grace``, so it slots in behind the people  |
|                     | who came in time around it instead of jumping to the front                               |
| walk-in             | key = ``arrived_at`` (an appointment without a slot time counts as a walk-in)            |
| ageing              | arrival-keyed items (walk-ins, late arrivals) move their key ``ageing_pull_minutes``     |
|                     | earlier for each full ``ageing_minutes_per_step`` waited, so a long wait catches up with |
|                     | later booked times and nobody waits without bound; 0 minutes per step turns it off      |
| ties                | on-time appointment before arrival-keyed item, then earlier arrival, then input order    |
| manual_offset       | applied last: the item moves that many places (negative = towards the front), clamped    |
|                     | to its tier so staff overrides never push anyone ahead of an emergency                   |

Entry statuses (``check_entry_transition``): waiting -> called -> in_progress -> completed; waiting or called ->
left | no_show; called -> waiting (a recall: the patient did not come when called). Anything else skips or reverses
a step and is refused. ``estimated_waits`` turns the serving order and the doctor's recent consultation lengths into
minutes per waiting token (see its docstring).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from .errors import InvalidTransition

PRIORITIES = ("emergency", "urgent", "vip", "normal")  # serving order of the tiers
PRIORITY_CHOICES = ("normal", "urgent", "emergency", "vip")  # the order a form offers them in
SOURCES = ("appointment", "walkin")
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


def _on_time(item: QueueItem, grace: timedelta) -> bool:
    return item.source == "appointment" and item.slot_start is not None and item.arrived_at <= item.slot_start + grace


def effective_time(
    item: QueueItem,
    now: datetime,
    *,
    late_grace_minutes: int = 10,
    ageing_minutes_per_step: int = 30,
    ageing_pull_minutes: int = 5,
) -> datetime:
    """Return the time key that orders ``item`` within its tier (see the module table)."""
    grace = timedelta(minutes=late_grace_minutes)
    if _on_time(item, grace):
        return item.slot_start  # type: ignore[return-value]  # _on_time checked it is set
    late = item.source == "appointment" and item.slot_start is not None
    key = item.arrived_at + grace if late else item.arrived_at
    if ageing_minutes_per_step > 0:
        waited = max(now - item.arrived_at, timedelta(0))
        key -= (waited // timedelta(minutes=ageing_minutes_per_step)) * timedelta(minutes=ageing_pull_minutes)
    return key


def order_queue(
    items: Sequence[QueueItem],
    now: datetime,
    *,
    late_grace_minutes: int = 10,
    ageing_minutes_per_step: int = 30,
    ageing_pull_minutes: int = 5,
) -> list[QueueItem]:
    """Return ``items`` in serving order (the module table gives the rules); raise ValueError on unknown values."""
    for item in items:
        if item.priority not in _TIER:
            raise ValueError(f"Unknown queue priority {item.priority!r}; expected one of {PRIORITIES}.")
        if item.source not in SOURCES:
            raise ValueError(f"Unknown queue source {item.source!r}; expected one of {SOURCES}.")
    grace = timedelta(minutes=late_grace_minutes)

    def key(pair: tuple[int, QueueItem]):
        index, item = pair
        when = effective_time(
            item,
            now,
            late_grace_minutes=late_grace_minutes,
            ageing_minutes_per_step=ageing_minutes_per_step,
            ageing_pull_minutes=ageing_pull_minutes,
        )
        return _TIER[item.priority], when, not _on_time(item, grace), item.arrived_at, index

    ordered = [item for _, item in sorted(enumerate(items), key=key)]
    result: list[QueueItem] = []
    for tier in PRIORITIES:
        result.extend(_apply_offsets([item for item in ordered if item.priority == tier]))
    return result


def _apply_offsets(tier: list[QueueItem]) -> list[QueueItem]:
    """Move items with a manual offset to their target places inside one tier."""
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

def typical_minutes(recent_durations_minutes: Sequence[float], *, default_minutes: float = 15,
                    sample_size: int = 10) -> float:
    """The median of the last ``sample_size`` consultation lengths (oldest first), or ``default_minutes``.

    The median, not the mean: one consultation that ran an hour should not double every estimate. Lengths that
    cannot be real (0 or negative, or over 8 hours: a token left open overnight) are ignored.
    """
    usable = [d for d in recent_durations_minutes if 0 < d <= 480][-sample_size:] if sample_size > 0 else []
    return float(median(usable)) if usable else float(default_minutes)


def estimated_waits(
    ordered_items: Sequence[QueueItem],
    recent_durations_minutes: Sequence[float],
    now: datetime,
    *,
    in_progress_started: Sequence[datetime] = (),
    called_ahead: int = 0,
    default_minutes: float = 15,
    sample_size: int = 10,
) -> dict[Hashable, int]:
    """Minutes until each waiting item (in serving order, as ``order_queue`` gives them) should be seen.

    One consultation takes ``typical_minutes`` of the doctor's recent lengths. Ahead of the first waiting item are
    the consultations in progress (each counts the typical length minus the time already spent, never below zero)
    and ``called_ahead`` patients already called but not yet in the room (a full length each). The k-th waiting
    item then waits for the k items before it. Rounded up to whole minutes.
    """
    typical = typical_minutes(recent_durations_minutes, default_minutes=default_minutes, sample_size=sample_size)
    ahead = called_ahead * typical
    for started in in_progress_started:
        spent = max((now - started).total_seconds() / 60, 0.0)
        ahead += max(typical - spent, 0.0)
    waits: dict[Hashable, int] = {}
    for index, item in enumerate(ordered_items):
        waits[item.id] = _ceil(ahead + index * typical)
    return waits


def _ceil(minutes: float) -> int:
    whole = int(minutes)
    return whole if whole >= minutes - 1e-9 else whole + 1
