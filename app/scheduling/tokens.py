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
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PRIORITIES = ("emergency", "urgent", "vip", "normal")
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
