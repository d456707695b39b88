"""A room's published sessions: weekly rules and exceptions (closures, extra sessions), like a doctor's hours.

The room's managers publish them (``may_publish_sessions``, asked by the pages and the API alike). Everything goes
through app.services.availability.schedules, the path doctors' hours take, so the session hook keeps the
availability index in step (docs/availability-index.md) and every change is audited. Adding or removing one weekly
session starts a new configuration from the given day with the others kept, as the editor's save does.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import AvailabilityException, AvailabilityRule, Room, Schedule, User
from app.services.availability import resource_for_room
from app.services.availability.schedules import RuleInput, ScheduleInput, current_schedule, put_schedule
from app.services.locations.rooms import access_role

POLICY_FIELDS = ("horizon_days", "daily_limit", "min_notice_minutes", "buffer_minutes", "urgent_share",
                 "urgent_release_hours")


def may_publish_sessions(user: User, room: Room) -> bool:
    """Only the room's managers (and admins of its hospital) publish its sessions; bookers book in them."""
    return access_role(user, room) == "manager"


def room_schedule(room: Room, on: date) -> Schedule | None:
    """The configuration in force on the day (None: nothing published)."""
    return current_schedule(resource_for_room(room.id).id, room.hospital_id, on)


def room_exceptions(room: Room, after: datetime) -> list[AvailabilityException]:
    """Closures and extra sessions of the room not over at `after`, earliest first."""
    return list(db.session.scalars(select(AvailabilityException).where(
        AvailabilityException.resource_id == resource_for_room(room.id).id, AvailabilityException.end > after)
        .order_by(AvailabilityException.start, AvailabilityException.id)))


def _rule_input(rule: AvailabilityRule) -> RuleInput:
    return RuleInput(weekday=rule.weekday, start=rule.start, end=rule.end, kind=rule.kind,
                     slot_minutes=rule.slot_minutes, tokens_per_slot=rule.tokens_per_slot,
                     appointment_types=sorted(rule.type_codes), room_id=rule.room_id)


def _republish(actor_id: int | None, room: Room, valid_from: date, rules: list[RuleInput],
               current: Schedule | None) -> Schedule:
    # the booking rules stay as the managers set them on the page; a first week takes the editor's defaults
    policy = {name: getattr(current, name) for name in POLICY_FIELDS} if current is not None else {}
    return put_schedule(actor_id, resource_for_room(room.id).id, room.hospital_id,
                        ScheduleInput(valid_from=valid_from, valid_till=current.valid_till if current else None,
                                      rules=rules, **policy))


def add_session(actor_id: int | None, room: Room, rule: RuleInput, valid_from: date) -> AvailabilityRule:
    """One more weekly session from valid_from on; ScheduleInvalid (keyed ``rules.<n>``) when it overlaps one."""
    current = room_schedule(room, valid_from)
    rules = [_rule_input(r) for r in current.rules] if current is not None else []
    try:
        schedule = _republish(actor_id, room, valid_from, [*rules, rule], current)
    except core.ScheduleInvalid as err:
        # the new session is the last rule: its errors are the caller's fields ("rules.3" is the overlap)
        mine, fields = f"rules.{len(rules)}", {}
        for key, message in err.fields.items():
            if key == mine:
                fields["start"] = message
            elif key.startswith(mine + "."):
                fields[key[len(mine) + 1:]] = message
            else:
                fields[key] = message
        raise core.ScheduleInvalid(err.message, fields=fields) from err
    return schedule.rules[-1]


def remove_session(actor_id: int | None, room: Room, rule: AvailabilityRule, valid_from: date) -> Schedule:
    """Stop a weekly session of the configuration in force from valid_from on; the other sessions stay."""
    current = room_schedule(room, valid_from)
    if current is None or rule.schedule_id != current.id:
        raise core.SchedulingError("That session is not in the published week.", "rule_id")
    return _republish(actor_id, room, valid_from, [_rule_input(r) for r in current.rules if r.id != rule.id],
                      current)
