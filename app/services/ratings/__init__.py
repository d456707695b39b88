"""Ratings: patients rate doctors after a completed visit, admins moderate, doctors give feedback on the visit
(docs/ratings.md)."""
from app.services.ratings import policy, subscriptions  # noqa: F401  (redacts an erased patient's reviews)
from app.services.ratings.export import export_for
from app.services.ratings.feedback import (
    MAX_NOTE,
    check_may_give,
    feedback_for_staff,
    feedback_of,
    give_feedback,
    visible_feedback,
)
from app.services.ratings.reviews import (
    MAX_REASON,
    MAX_REVIEW,
    RatingError,
    approved_reviews,
    check_may_rate,
    moderate,
    moderation_queue,
    rate,
    rated_ids,
    rating_of,
    summaries,
)

__all__ = ["MAX_NOTE", "MAX_REASON", "MAX_REVIEW", "RatingError", "approved_reviews", "check_may_give",
           "check_may_rate", "export_for", "feedback_for_staff", "feedback_of", "give_feedback", "moderate",
           "moderation_queue", "policy", "rate", "rated_ids", "rating_of", "subscriptions", "summaries",
           "visible_feedback"]
