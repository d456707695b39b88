"""Federation: other systems' slots in our search, booked through their source (docs/federation.md)."""
from app.services.federation import booking, slots, sources, sync
from app.services.federation.client import SourceError

__all__ = ["SourceError", "booking", "slots", "sources", "sync"]
