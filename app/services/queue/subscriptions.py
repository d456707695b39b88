"""What the queue does when other features announce something (docs/architecture.md, "Events").

An erased patient leaves the live queues: their open tokens end as "left" and the boards are told, so no waiting
room shows a token of somebody who no longer exists (docs/security.md, "Erasure").
"""
from __future__ import annotations

from datetime import datetime

from app.services import signals
from app.services.queue.operations import take_off_queues


@signals.patient_erased.connect
def leave_queues(_sender, *, actor_id: int | None, patient_id: int, now: datetime, **_kw) -> None:
    take_off_queues(actor_id, patient_id, now=now, reason="patient erased")
