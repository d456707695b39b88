"""One room, one consultation: weekly rules of different doctors must not share a room at the same time.

Every booking in a session with a room claims the room (docs/architecture.md, "Integrity"), so two doctors whose
weekly hours put them in one room at once would take each other's slots at random. The availability editor asks
``room_clashes`` before it saves and refuses a rule that would do so, naming who holds the room and when.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from .words import Text, weekday


@dataclass(frozen=True, slots=True)
class RoomUse:
    """Weekly hours in a room: its id and name, who holds it, the weekday (Monday 0), the hours, the dates."""

    room_id: int
    room: str
    holder: str
    weekday: int
    start: time
    end: time
    valid_from: date
    valid_till: date | None = None  # exclusive; None: open-ended


def _dates_overlap(a_from: date, a_till: date | None, b_from: date, b_till: date | None) -> bool:
    return (a_till is None or b_from < a_till) and (b_till is None or a_from < b_till)


def room_clashes(wanted: Sequence[RoomUse], others: Sequence[RoomUse]) -> dict[int, RoomUse]:
    """For each wanted use (by its index) that shares a room with another holder at the same time on the same
    weekday, in overlapping dates: the first such use of the others, earliest hours first."""
    clashes: dict[int, RoomUse] = {}
    ordered = sorted(others, key=lambda u: (u.weekday, u.start, u.holder))
    for i, mine in enumerate(wanted):
        for theirs in ordered:
            if (theirs.room_id == mine.room_id and theirs.weekday == mine.weekday and theirs.start < mine.end
                    and mine.start < theirs.end
                    and _dates_overlap(mine.valid_from, mine.valid_till, theirs.valid_from, theirs.valid_till)):
                clashes[i] = theirs
                break
    return clashes


def clash_message(use: RoomUse) -> Text:
    """What the editor shows on the refused rule: which room, whose, which day and hours."""
    return Text("%(room)s is already used by %(holder)s on %(day)s, %(start)s-%(end)s.", room=use.room,
                holder=use.holder, day=weekday(use.weekday), start=f"{use.start:%H:%M}", end=f"{use.end:%H:%M}")
