"""The cancellation waitlist: entries, ranking, holds offered to waiting patients, and the late release."""
from app.services.waitlist import (  # noqa: F401  (modules of the public face)
    late,
    matching,
    offers,
    policy,
    subscriptions,  # noqa: F401  (subscribes to other features' signals)
)
from app.services.waitlist.entries import Wish, book_candidate, entries_for, join, leave, open_offers
from app.services.waitlist.matching import candidates_for_slot
from app.services.waitlist.offers import accept, decline, offer_from_token, offer_slot, offer_token

__all__ = [
    "Wish", "accept", "book_candidate", "candidates_for_slot", "decline", "entries_for", "join", "late", "leave",
    "matching", "offer_from_token", "offer_slot", "offer_token", "offers", "open_offers", "policy", "subscriptions"
]
