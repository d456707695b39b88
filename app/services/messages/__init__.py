"""Secure messages between patients and a hospital's desk or their doctor (docs/messages.md).

The public face: start a thread, reply, open (mark read), the inbox and its unread count, the one loader of "not
found or not yours", and the attachment check. Who may do what is in `policy`.
"""
from app.services.messages import subscriptions  # noqa: F401  (subscribes to patient_erased)
from app.services.messages.attachments import CheckedFile, check, max_bytes
from app.services.messages.errors import MessageError
from app.services.messages.threads import (
    Recipient,
    Upload,
    attachment_or_none,
    inbox,
    mark_read,
    own_appointments,
    reply,
    resolve_recipient,
    start_thread,
    thread_or_none,
    unread_count,
    unread_for,
)

__all__ = ["CheckedFile", "MessageError", "Recipient", "Upload", "attachment_or_none", "check", "inbox", "mark_read",
           "max_bytes", "own_appointments", "reply", "resolve_recipient", "start_thread", "thread_or_none",
           "unread_count", "unread_for"]
