"""The outbox (docs/architecture.md, "Notifications"): `queue` writes a message in the caller's transaction;
`deliver_pending` sends what is due, one commit per message, with exponential backoff, a maximum number of
attempts and dead letters.

Delivery is at-least-once with at most one duplicate: an attempt is first claimed and committed (attempts + 1,
next try pushed out by a lease), then sent, then marked sent and committed. A crash after the send and before the
mark leaves the row pending, so it goes out once more after the lease; the dedupe key travels as the Message-ID
(e-mail) and as an idempotency hint (SMS) so that the duplicate is recognisable.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import mysql, sqlite

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from app.models.outbox import DeliveryStatus
from app.models.statements import compiled_once
from app.notifications import channels
from app.notifications.render import RenderError, render_email, render_sms, stale_reason

log = logging.getLogger(__name__)
QUEUED_KEY = "outbox.queued"  # session.info: dedupe keys written in the open transaction
COMMITTED_KEY = "outbox.committed"  # session.info: dedupe keys whose transaction committed, to deliver soon
ERROR_LIMIT = 2000


def queue(channel: str, recipient: str | None, template: str, context: dict, dedupe_key: str, *,
          language: str = "en", appointment_id: int | None = None, user_id: int | None = None,
          max_attempts: int | None = None, not_before: datetime | None = None) -> bool:
    """Add a message to the caller's transaction (no commit). A repeated dedupe key is skipped: returns False.

    A missing recipient is still written, as a dead letter with the reason, so that nobody wonders why a patient
    heard nothing.
    """
    values = _values(channel, recipient, template, context, dedupe_key, language=language,
                     appointment_id=appointment_id, user_id=user_id, max_attempts=max_attempts,
                     not_before=not_before)
    # one statement: insert-or-ignore on the unique key (a repeated key is rare; a check first cost every message a
    # round trip, docs/benchmarks.md "Load run")
    if not _insert_or_ignore(values):
        return False
    _deliver_soon([values])
    return True


def queue_fresh(messages: list[dict]) -> int:
    """queue() for messages whose dedupe keys the caller made new (a staff notice's e-mails, one per reader), in one
    statement whatever their number: a booking at a hospital with many staff sends one insert, not one each. A key
    that exists after all is still skipped (and not counted apart). Each message holds queue()'s arguments by name;
    returns how many were given."""
    if not messages:
        return 0
    rows = [_values(**message) for message in messages]
    connection = db.session.connection()
    columns = sorted(rows[0])
    connection.execute(compiled_once(connection, ("outbox", *columns), lambda: _insert_statement(
        connection.dialect.name), column_keys=columns), rows)  # executemany: one multi-row INSERT on MariaDB
    _deliver_soon(rows)
    return len(rows)


def _values(channel: str, recipient: str | None, template: str, context: dict, dedupe_key: str, *,
            language: str = "en", appointment_id: int | None = None, user_id: int | None = None,
            max_attempts: int | None = None, not_before: datetime | None = None) -> dict:
    if channel not in ("email", "sms"):
        raise ValueError(f"unknown channel {channel!r}")
    now = utcnow().replace(microsecond=0)  # whole seconds: MySQL would round up, making it due only later
    values = dict(
        channel=channel, recipient=(recipient or "").strip()[:255], template=template, context=context,
        language=language if language in current_app.config["LANGUAGES"] else "en", dedupe_key=dedupe_key[:191],
        status="pending", attempts=0, last_error=None,
        max_attempts=max_attempts or current_app.config.get("OUTBOX_MAX_ATTEMPTS", 8),
        next_attempt_at=not_before or now, created_at=now, appointment_id=appointment_id, user_id=user_id)
    if not values["recipient"]:
        values.update(status="dead", last_error=f"no {'e-mail address' if channel == 'email' else 'phone number'}")
    return values


def _deliver_soon(rows: list[dict]) -> None:
    """The pending ones are delivered right after the commit (`committed_keys`)."""
    keys = [values["dedupe_key"] for values in rows if values["status"] == "pending"]
    if keys:
        db.session.info.setdefault(QUEUED_KEY, []).extend(keys)


def _insert_or_ignore(values: dict) -> bool:
    """Insert unless the dedupe key exists; True when this call inserted (app.services.rows's pattern: on MySQL
    a no-op ON DUPLICATE KEY UPDATE, which takes the exclusive lock at once instead of deadlocking). Compiled once
    per set of columns (models.statements.compiled_once); on the session's connection, so it does not flush."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    columns = sorted(values)
    result = connection.execute(compiled_once(connection, ("outbox", *columns), lambda: _insert_statement(dialect),
                                              column_keys=columns), values)
    if dialect == "mysql":
        return bool(result.lastrowid)  # 0 when the existing row was kept
    return result.rowcount > 0


def _insert_statement(dialect: str):
    table = OutboxMessage.__table__
    if dialect == "mysql":
        statement = mysql.insert(table)
        return statement.on_duplicate_key_update({"dedupe_key": statement.inserted.dedupe_key})
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects import postgresql

    return postgresql.insert(table).on_conflict_do_nothing()


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: base, 2 base, 4 base ... capped (1, 2, 4, 8 ... minutes by default)."""
    base = current_app.config.get("OUTBOX_BACKOFF_SECONDS", 60)
    cap = current_app.config.get("OUTBOX_BACKOFF_CAP_SECONDS", 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def deliver_pending(now: datetime | None = None, ignore_backoff: bool = False, limit: int = 200,
                    dedupe_keys: list[str] | None = None) -> dict:
    """Send every due pending message (or only those with the given keys); returns counts by outcome."""
    now = now or utcnow()
    query = select(OutboxMessage.id).where(OutboxMessage.status == DeliveryStatus.PENDING,
                                           OutboxMessage.attempts < OutboxMessage.max_attempts)
    if not ignore_backoff:
        query = query.where(OutboxMessage.next_attempt_at <= now)
    if dedupe_keys is not None:
        if not dedupe_keys:
            return _counts()
        query = query.where(OutboxMessage.dedupe_key.in_(dedupe_keys))
    ids = db.session.scalars(query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)).all()
    db.session.commit()  # end the read: each message gets its own short transactions
    counts = _counts()
    for message_id in ids:
        counts[deliver_one(message_id, now)] += 1
    return counts


def _counts() -> dict:
    return {"sent": 0, "retry": 0, "dead": 0, "skipped": 0, "busy": 0}


def deliver_one(message_id: int, now: datetime | None = None) -> str:
    """One attempt at one message: 'sent', 'retry', 'dead', 'skipped', or 'busy' (another worker holds it)."""
    now = now or utcnow()
    row = db.session.get(OutboxMessage, message_id)
    if row is None or row.status != DeliveryStatus.PENDING or row.attempts >= row.max_attempts:
        db.session.rollback()
        return "busy"
    seen = row.attempts
    lease = timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", 300))
    claimed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == DeliveryStatus.PENDING,
                                    OutboxMessage.attempts == seen)
        .values(attempts=seen + 1, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not claimed:
        return "busy"
    row = db.session.get(OutboxMessage, message_id)
    db.session.refresh(row)
    reason = stale_reason(row)
    if reason:
        return _finish(row, "skipped", reason)
    try:
        _send(row)
    except channels.DeliveryError as err:
        if err.permanent or row.attempts >= row.max_attempts:
            log.warning("outbox %s dead after %s attempts: %s", row.id, row.attempts, err)
            return _finish(row, "dead", str(err))
        row.last_error = str(err)[:ERROR_LIMIT]
        row.next_attempt_at = now + backoff(row.attempts)
        db.session.commit()
        return "retry"
    except RenderError as err:
        return _finish(row, "dead", f"template: {err}")
    return _finish(row, "sent", None, sent_at=utcnow())


# messages whose links are keys to an account: once sent, the outbox keeps no usable copy (docs/security.md, "Audit")
SECRET_LINKS = {"reset_password": ("link",)}
REDACTED = "[link removed after sending]"


def _finish(row: OutboxMessage, status: str, error: str | None, sent_at: datetime | None = None) -> str:
    row.status = status
    if error is not None:
        row.last_error = error[:ERROR_LIMIT]
    if sent_at is not None:
        row.sent_at = sent_at
    if status == DeliveryStatus.SENT and row.template in SECRET_LINKS:
        row.context = {**row.context, **{key: REDACTED for key in SECRET_LINKS[row.template]}}
    db.session.commit()
    return status


def _send(row: OutboxMessage) -> None:
    if row.channel == "email":
        channels.send_email(render_email(row), row.dedupe_key)
    else:
        channels.send_sms(row.recipient, render_sms(row), row.dedupe_key)


def retry(message: OutboxMessage, now: datetime | None = None) -> None:
    """Put a dead (or waiting) message back in line at once; attempts stay, one more is allowed if none are left."""
    message.status = "pending"
    message.next_attempt_at = now or utcnow()
    if message.attempts >= message.max_attempts:
        message.max_attempts = message.attempts + 1


def summary() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: count for status, count in rows}


def waiting_query(statuses=("dead", "pending")):
    """Dead letters and messages still waiting, the oldest problems first (the admin page)."""
    return (select(OutboxMessage).where(OutboxMessage.status.in_(statuses))
            .order_by(or_(OutboxMessage.status == DeliveryStatus.DEAD).desc(), OutboxMessage.id.desc()))


# --- delivery right after the commit: a mail server that is down delays mail, never a booking

def _after_commit(session) -> None:
    queued = session.info.pop(QUEUED_KEY, None)
    if queued:
        session.info.setdefault(COMMITTED_KEY, []).extend(queued)


def _after_rollback(session) -> None:
    session.info.pop(QUEUED_KEY, None)  # those rows never existed


def committed_keys() -> list[str]:
    """Take the dedupe keys of messages queued by this session's committed transactions."""
    return db.session.info.pop(COMMITTED_KEY, [])


DISPATCH_KEY = "waitless.outbox.dispatch"


def deliver_soon(keys: list[str] | None = None) -> None:
    """Hand the messages this session committed to the dispatcher registered at start-up (set_dispatcher): inline
    (this thread), a background thread of this process, a Celery worker, or none (the periodic job sends them)."""
    keys = committed_keys() if keys is None else keys
    dispatch = current_app.extensions.get(DISPATCH_KEY)
    if keys and dispatch is not None:
        try:
            dispatch(keys)
        except Exception:  # a broker that is down delays mail, never a booking: the periodic job sends it
            log.exception("handing committed messages to delivery failed; the outbox job will retry")


def set_dispatcher(app, dispatch: Callable[[list[str]], None] | None) -> None:
    """Register how committed messages reach delivery (docs/architecture.md, "Runtime profiles")."""
    app.extensions[DISPATCH_KEY] = dispatch


def deliver_inline(keys: list[str]) -> None:
    """Try the messages now, in this thread (tests: deterministic, the request's messages are tried before it ends)."""
    deliver_pending(dedupe_keys=keys)


def deliver_in_thread(keys: list[str]) -> None:
    """Try the messages in this process's one delivery thread, after the response is on its way."""
    _executor().submit(_deliver_in_context, current_app._get_current_object(), keys)


_EXECUTOR = None


def _executor():
    global _EXECUTOR
    if _EXECUTOR is None:
        from concurrent.futures import ThreadPoolExecutor

        _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
    return _EXECUTOR


def _deliver_in_context(app, keys: list[str]) -> None:
    with app.app_context():
        try:
            deliver_pending(dedupe_keys=keys)
        except Exception:  # the periodic job will try again
            db.session.rollback()
            log.exception("delivery after commit failed")


def init_app(app) -> None:
    """Track which queued messages committed (session events; global listeners, registered once)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
