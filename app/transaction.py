"""The one transaction boundary (docs/architecture.md, "Transactions").

Every page, API endpoint, command and job writes through `transaction()`: services flush and never commit; this
commits once when the block ends, or rolls back when anything in it raises (a refusal from the core, a lost race,
a crash), so nothing is ever half-written. Only after the commit are live updates announced and the committed
messages handed to delivery: nobody hears of what did not happen (after indico's one commit per request).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import scoped_session

from app import realtime
from app.extensions import db
from app.notifications import outbox

T = TypeVar("T")


@contextmanager
def transaction() -> Iterator[scoped_session]:
    """Commit the block's writes once, or roll them back and re-raise; then publish what committed."""
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    publish_committed()


def run(operation: Callable[..., T], *args, **kwargs) -> T:
    """`operation(*args, **kwargs)` inside one transaction: its result after the commit."""
    with transaction():
        return operation(*args, **kwargs)


def publish_committed() -> None:
    """What the session committed reaches the world: slot and queue changes to the pages watching them, messages
    to delivery. Safe to call twice: each change is announced once."""
    realtime.publish_slot_changes()
    realtime.publish_queue_changes()
    outbox.deliver_soon()
