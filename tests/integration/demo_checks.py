"""Checks the demo tests share."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from app.extensions import db
from app.models import AvailabilityRule, Schedule


def doctors_sharing_a_room() -> list[tuple]:
    """(room, weekday, resource, other resource) wherever two resources' weekly hours overlap in one room; every
    demo doctor has a room of their own, so the demo must give none."""
    rows = db.session.execute(select(AvailabilityRule.room_id, AvailabilityRule.weekday, AvailabilityRule.start,
                                     AvailabilityRule.end, Schedule.resource_id)
                              .join(Schedule, Schedule.id == AvailabilityRule.schedule_id)
                              .where(AvailabilityRule.room_id.is_not(None))).all()
    by_room_day = defaultdict(list)
    for room_id, weekday, start, end, resource_id in rows:
        by_room_day[(room_id, weekday)].append((start, end, resource_id))
    shared = []
    for (room_id, weekday), uses in by_room_day.items():
        for i, (start, end, resource) in enumerate(uses):
            shared += [(room_id, weekday, resource, other) for s, e, other in uses[i + 1:]
                       if other != resource and s < end and start < e]
    return shared


def rooms_in_use() -> int:
    return len(set(db.session.scalars(select(AvailabilityRule.room_id).where(AvailabilityRule.room_id.is_not(None)))))
