"""The audit trail: who did what to which record, and when."""
from app.services.audit.trail import record, snapshot

__all__ = ["record", "snapshot"]
