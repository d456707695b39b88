"""Delivery of the outbox, as staff see it: the messages waiting or dead, and putting one back in line."""
from app.services.delivery import subscriptions  # noqa: F401  (redacts an erased patient's messages)
from app.services.delivery.messages import message_hospital, retry_message, visible_messages

__all__ = ["message_hospital", "retry_message", "subscriptions", "visible_messages"]
