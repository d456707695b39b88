"""Weekly availability rules, exceptions and their expansion into concrete UTC windows.

A schedule is a set of weekly wall-clock rules ("Mondays 09:00-13:00, 15-minute slots") valid over a range of days.
Exceptions add time (an extra clinic) or remove it (leave, a closed theatre). ``expand_windows`` turns them into
naive-UTC windows for a range of local days; ``slots.generate_slots`` then cuts windows into slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from .errors import ScheduleInvalid
from .timeutil import CELL_MINUTES, local_day, merge_intervals, subtract_interval, to_local, to_utc
from .words import Text, weekday

KINDS = ("slots", "tokens")


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    """Wall-clock availability on one weekday (Mon=0); ``appointment_types`` empty means every type."""

    weekday: int
    start: time
    end: time
    kind: str = "slots"
    slot_minutes: int = 15
    tokens_per_slot: int = 1
    appointment_types: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Policy:
    """Booking policy of a resource: horizon, limits, notice, buffer and the urgent hold-back."""

    horizon_days: int = 60
    daily_limit: int | None = None
    min_notice_minutes: int = 0
    buffer_minutes: int = 0
    urgent_share: float = 0.0
    urgent_release_hours: int = 24


@dataclass(frozen=True, slots=True)
class Schedule:
    """Weekly rules valid on local days ``[valid_from, valid_till)``; ``valid_till`` None means open-ended."""

    valid_from: date
    valid_till: date | None
    rules: tuple[WeeklyRule, ...]
    policy: Policy = Policy()


@dataclass(frozen=True, slots=True)
class AvailabilityException:
    """A naive-UTC interval that removes time (``available=False``, e.g. leave) or adds it (``True``)."""

    start: datetime
    end: datetime
    available: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Window:
    """A concrete stretch of availability in naive UTC, from ``rule`` on the local day ``local_date``.

    ``origin`` is the instant the slot grid is aligned to: the rule's original start, kept when an exception cuts
    the window so the grid never shifts. None means the rule's start on ``local_date``.
    """

    start: datetime
    end: datetime
    local_date: date
    rule: WeeklyRule
    origin: datetime | None = None


def validate_schedule(
    rules: Sequence[WeeklyRule], valid_from: date, valid_till: date | None, policy: Policy
) -> dict[str, str]:
    """Return field errors of a schedule keyed like ``"rules.2.end"`` or ``"policy.urgent_share"``; empty = valid.

    A rule that overlaps an earlier rule on the same weekday is reported under its bare key (``"rules.3"``).
    Times and the buffer must sit on the 5-minute claim grid, because a slot edge inside a cell would make two
    neighbouring slots claim the same cell and block each other at the unique index.
    """
    errors: dict[str, str] = {}
    for i, rule in enumerate(rules):
        errors.update(_rule_errors(i, rule))
    valid = [(i, r) for i, r in enumerate(rules) if 0 <= r.weekday <= 6 and r.start < r.end]
    for n, (_, a) in enumerate(valid):
        for j, b in valid[n + 1 :]:
            if a.weekday == b.weekday and a.start < b.end and b.start < a.end:
                message = Text("Overlaps another %(day)s rule (%(start)s-%(end)s).", day=weekday(a.weekday),
                               start=f"{a.start:%H:%M}", end=f"{a.end:%H:%M}")
                errors.setdefault(f"rules.{j}", message)
    if valid_till is not None and valid_till <= valid_from:
        errors["valid_till"] = "Must be after the first valid day."
    errors.update(_policy_errors(policy))
    return errors


def require_valid_schedule(
    rules: Sequence[WeeklyRule], valid_from: date, valid_till: date | None, policy: Policy
) -> None:
    """Raise ``ScheduleInvalid`` carrying every field error when ``validate_schedule`` finds any."""
    errors = validate_schedule(rules, valid_from, valid_till, policy)
    if errors:
        raise ScheduleInvalid("The schedule has errors.", fields=errors)


def _on_grid(t: time) -> bool:
    return t.minute % CELL_MINUTES == 0 and t.second == 0 and t.microsecond == 0


def _rule_errors(i: int, rule: WeeklyRule) -> dict[str, str]:
    key, errors = f"rules.{i}", {}
    if not 0 <= rule.weekday <= 6:
        errors[f"{key}.weekday"] = "Must be a weekday from 0 (Monday) to 6 (Sunday)."
    if rule.kind not in KINDS:
        errors[f"{key}.kind"] = "Must be 'slots' or 'tokens'."
    if rule.slot_minutes % CELL_MINUTES or not 5 <= rule.slot_minutes <= 240:
        errors[f"{key}.slot_minutes"] = "Must be a multiple of 5 between 5 and 240."
    if not 1 <= rule.tokens_per_slot <= 100:
        errors[f"{key}.tokens_per_slot"] = "Must be between 1 and 100."
    if not _on_grid(rule.start):
        errors[f"{key}.start"] = "Must be on a 5-minute boundary."
    if not _on_grid(rule.end):
        errors[f"{key}.end"] = "Must be on a 5-minute boundary."
    elif rule.end <= rule.start:
        errors[f"{key}.end"] = "Must be after the start."
    else:
        minutes = (datetime.combine(date.min, rule.end) - datetime.combine(date.min, rule.start)) // timedelta(
            minutes=1
        )
        if minutes < rule.slot_minutes:
            errors[f"{key}.end"] = "The window is shorter than one slot."
    return errors


MAX_DAILY_LIMIT = 10_000
MAX_NOTICE_MINUTES = 525_600
MAX_BUFFER_MINUTES = 1440
MAX_RELEASE_HOURS = 8760


def _policy_errors(policy: Policy) -> dict[str, str]:
    errors = {}
    if not 1 <= policy.horizon_days <= 365:
        errors["policy.horizon_days"] = "Must be between 1 and 365 days."
    # upper bounds too: a saved absurd value (a year of notice) would quietly empty every later search
    if policy.daily_limit is not None and not 1 <= policy.daily_limit <= MAX_DAILY_LIMIT:
        errors["policy.daily_limit"] = f"Must be between 1 and {MAX_DAILY_LIMIT} (or empty for no limit)."
    if not 0 <= policy.min_notice_minutes <= MAX_NOTICE_MINUTES:
        errors["policy.min_notice_minutes"] = f"Must be between 0 and {MAX_NOTICE_MINUTES} minutes (one year)."
    if not 0 <= policy.buffer_minutes <= MAX_BUFFER_MINUTES or policy.buffer_minutes % CELL_MINUTES:
        errors["policy.buffer_minutes"] = f"Must be a multiple of 5 between 0 and {MAX_BUFFER_MINUTES}."
    if not 0.0 <= policy.urgent_share <= 0.5:
        errors["policy.urgent_share"] = "Must be between 0 and 0.5."
    if not 0 <= policy.urgent_release_hours <= MAX_RELEASE_HOURS:
        errors["policy.urgent_release_hours"] = f"Must be between 0 and {MAX_RELEASE_HOURS} hours (one year)."
    return errors


def expand_windows(
    schedules: Sequence[Schedule],
    exceptions: Sequence[AvailabilityException],
    tz: tzinfo,
    first_day: date,
    last_day: date,
    extra_slot_minutes: int = 15,
) -> list[Window]:
    """Return the availability windows of the local days ``[first_day, last_day]`` in ``tz``, sorted by start.

    Each day uses the schedule whose ``[valid_from, valid_till)`` covers it (the latest ``valid_from`` wins when
    several do). Rules are wall-clock, so 09:00 stays 09:00 local across DST. Added-time exceptions become
    "slots" windows of ``extra_slot_minutes`` open to every type, split at local midnight and only where no rule
    window already is. Removing exceptions are then cut out of every window, and they win over added time.

    A window cut by an exception keeps its rule, and its slot grid stays aligned to the rule's original start
    (``Window.origin``): a leave 10:07-10:20 removes the whole slots that overlap it, it does not shift the grid.
    Windows never overlap each other.
    """
    if last_day < first_day:
        return []
    windows: list[Window] = []
    day = first_day
    while day <= last_day:
        windows.extend(_rule_windows(_schedule_for(schedules, day), day, tz))
        day += timedelta(days=1)
    added = merge_intervals((e.start, e.end) for e in exceptions if e.available)
    covered = [(w.start, w.end) for w in windows]
    range_start, range_end = to_utc(first_day, time(0), tz), to_utc(last_day + timedelta(days=1), time(0), tz)
    for start, end in added:
        for piece_start, piece_end in subtract_interval(max(start, range_start), min(end, range_end), covered):
            windows.extend(_extra_windows(piece_start, piece_end, start, tz, extra_slot_minutes))
    removed = merge_intervals((e.start, e.end) for e in exceptions if not e.available)
    result = [replace(w, start=s, end=e) for w in windows for s, e in subtract_interval(w.start, w.end, removed)]
    return sorted(result, key=lambda w: w.start)


def _schedule_for(schedules: Sequence[Schedule], day: date) -> Schedule | None:
    covering = [s for s in schedules if s.valid_from <= day and (s.valid_till is None or day < s.valid_till)]
    return max(covering, key=lambda s: s.valid_from, default=None)


def _rule_windows(schedule: Schedule | None, day: date, tz: tzinfo) -> list[Window]:
    if schedule is None:
        return []
    result: list[Window] = []
    for rule in sorted((r for r in schedule.rules if r.weekday == day.weekday()), key=lambda r: r.start):
        start, end = to_utc(day, rule.start, tz), to_utc(day, rule.end, tz)
        # Rules should not overlap (validate_schedule), but clip defensively: overlapping windows would sell
        # the same minutes twice through two slot grids.
        clipped = max(start, result[-1].end) if result else start
        if clipped < end:  # empty when both ends fall into the same DST gap
            result.append(Window(clipped, end, day, rule, origin=start))
    return result


def _extra_windows(start: datetime, end: datetime, origin: datetime, tz: tzinfo, minutes: int) -> list[Window]:
    """Split added time at local midnight so every window (and its slots) belongs to one local day."""
    result = []
    while start < end:
        day = local_day(start, tz)
        midnight = to_utc(day + timedelta(days=1), time(0), tz)
        stop = min(end, midnight)
        # The synthetic rule only documents the wall-clock span; time.max stands for "until midnight".
        rule = WeeklyRule(
            weekday=day.weekday(),
            start=to_local(start, tz).time(),
            end=to_local(stop, tz).time() if stop < midnight else time.max,
            kind="slots",
            slot_minutes=minutes,
        )
        result.append(Window(start, stop, day, rule, origin=origin))
        start = stop
    return result



