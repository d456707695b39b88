"""Procedure teams: start times when every role of a team has a free member (docs/teams.md).

A team is a list of roles (a surgeon, an anaesthetist, a theatre); each role names its candidates, schedulable
resources (doctors or rooms). ``free_time`` turns a resource's availability windows, bookings and leave into free
intervals; ``team_starts`` walks a grid of start times and keeps those where each role can be filled by a different
free candidate for the whole length. Members are chosen deterministically: the least booked candidate first, then
the lowest id, so the same search gives the same team. Instants are naive UTC.
"""
from __future__ import annotations

# The class names read as sentences (``raise TeamNotFree(...)``), like the core's other errors.
# ruff: noqa: N818
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import SchedulingError, SlotTaken
from .timeutil import CELL_MINUTES, merge_intervals, subtract_interval

Interval = tuple[datetime, datetime]
MAX_ROLES = 8


class TeamInvalid(SchedulingError):
    """The team cannot be formed at all: a role without candidates, too many roles, a bad length."""

    code = "team_invalid"


class TeamNotFree(SlotTaken):
    """The team is not free together at that time (a member got booked, or went on leave): 409."""

    code = "team_not_free"


@dataclass(frozen=True, slots=True)
class TeamRole:
    """A role to fill and the resources (ids) that may fill it."""

    name: str
    candidates: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TeamSlot:
    """A start where the whole team is free: each role's member (role name, resource id), in the roles' order."""

    start: datetime
    end: datetime
    members: tuple[tuple[str, int], ...]


def free_time(windows: Sequence[Interval], taken: Sequence[Interval]) -> list[Interval]:
    """The parts of the availability windows that nothing taken (bookings, leave) overlaps, merged and sorted."""
    cuts = merge_intervals(taken)
    return [piece for start, end in merge_intervals(windows) for piece in subtract_interval(start, end, cuts)]


def _covers(free: Sequence[Interval], start: datetime, end: datetime) -> bool:
    return any(s <= start and end <= e for s, e in free)


def check_team(roles: Sequence[TeamRole], minutes: int) -> None:
    """Refuse a team that can never be formed, whatever the calendars say."""
    if not roles or len(roles) > MAX_ROLES:
        raise TeamInvalid(f"A team has 1 to {MAX_ROLES} roles.", "roles")
    if minutes <= 0 or minutes % CELL_MINUTES or minutes > 24 * 60:
        raise TeamInvalid("The length must be a multiple of 5 minutes, up to 24 hours.", "minutes")
    for role in roles:
        if not role.candidates:
            raise TeamInvalid(f"No one can fill the role {role.name}.", "roles")


def assign(roles: Sequence[TeamRole], free_at: Mapping[str, Sequence[int]],
           load: Mapping[int, int]) -> tuple[tuple[str, int], ...] | None:
    """One different member per role from the free candidates, least booked first (then lowest id); None when no
    such team exists. A small backtracking search: teams have a handful of roles."""
    options = [sorted(free_at.get(role.name, ()), key=lambda r: (load.get(r, 0), r)) for role in roles]
    order = sorted(range(len(roles)), key=lambda i: len(options[i]))  # the scarcest role first
    chosen: dict[int, int] = {}

    def fill(k: int) -> bool:
        if k == len(order):
            return True
        i = order[k]
        for resource in options[i]:
            if resource not in chosen.values():
                chosen[i] = resource
                if fill(k + 1):
                    return True
                del chosen[i]
        return False

    if not fill(0):
        return None
    return tuple((roles[i].name, chosen[i]) for i in range(len(roles)))


def team_at(roles: Sequence[TeamRole], free: Mapping[int, Sequence[Interval]], load: Mapping[int, int],
            start: datetime, minutes: int) -> TeamSlot | None:
    """The team for exactly this start, or None when the roles cannot all be filled for the whole length."""
    end = start + timedelta(minutes=minutes)
    free_at = {role.name: [r for r in role.candidates if _covers(free.get(r, ()), start, end)] for role in roles}
    members = assign(roles, free_at, load)
    return TeamSlot(start, end, members) if members else None


def team_starts(roles: Sequence[TeamRole], free: Mapping[int, Sequence[Interval]], load: Mapping[int, int],
                first: datetime, last: datetime, minutes: int, *, step_minutes: int = 15,
                limit: int = 100) -> list[TeamSlot]:
    """Starts in [first, last) on the step grid (from midnight UTC) where the whole team is free, earliest first."""
    check_team(roles, minutes)
    step = timedelta(minutes=step_minutes)
    midnight = datetime.combine(first.date(), datetime.min.time())
    start = midnight + step * -(-(first - midnight) // step)  # the first grid point at or after `first`
    found: list[TeamSlot] = []
    while start < last and len(found) < limit:
        slot = team_at(roles, free, load, start, minutes)
        if slot is not None:
            found.append(slot)
        start += step
    return found


def roles_never_free(roles: Sequence[TeamRole], free: Mapping[int, Sequence[Interval]], minutes: int) -> list[str]:
    """Roles none of whose candidates has a free stretch as long as the procedure: why a search found nothing."""
    length = timedelta(minutes=minutes)
    return [role.name for role in roles
            if not any(e - s >= length for r in role.candidates for s, e in free.get(r, ()))]
