"""The token queue: walk-ins, check-in, the live order, calls and the clinical record of a visit."""
from app.services.queue import closing, policy, subscriptions  # noqa: F401  (modules of the public face)
from app.services.queue.board import hospital_board, position_of, queue_for, room_name
from app.services.queue.clinical import book_follow_up, patient_history, record_vitals, save_notes
from app.services.queue.operations import (
    appointment_from_code,
    call_next,
    check_in,
    checkin_code,
    issue_walkin,
    local_today,
    move,
    set_priority,
    set_status,
    take_off_queues,
)

__all__ = [
    "appointment_from_code", "book_follow_up", "call_next", "check_in", "checkin_code", "closing", "hospital_board",
    "issue_walkin", "local_today", "move", "patient_history", "policy", "position_of", "queue_for", "record_vitals",
    "room_name", "save_notes", "set_priority", "set_status", "subscriptions", "take_off_queues"
]
