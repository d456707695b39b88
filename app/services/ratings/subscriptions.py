"""What ratings do when other features announce something (docs/architecture.md, "Events").

An erased patient's reviews lose their text: the stars stay (they are in the doctor's average, and say nothing of
the person), the words they wrote go (docs/security.md, "Erasure").
"""
from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from app.models import DoctorRating
from app.services import signals


@signals.patient_erased.connect
def redact_reviews(_sender, *, patient_id: int, **_kw) -> None:
    db.session.execute(update(DoctorRating).where(DoctorRating.patient_id == patient_id,
                                                  DoctorRating.review.is_not(None))
                       .values(review=None).execution_options(synchronize_session="fetch"))
