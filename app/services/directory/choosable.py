"""Who may be picked in a chooser: never an erased patient ("Deleted patient") nor a switched-off account.

Every patient or doctor chooser (the desk, theatres and rooms, the waitlist, access grants) filters with these
conditions, so a person who left cannot be booked, granted or chosen by mistake; their past records still show
them where the record is the point.
"""
from __future__ import annotations

from sqlalchemy import and_, or_

from app.models import Doctor, Patient, User


def choosable_patient():
    """A patient not erased, whose account (if they have one: the desk registers some without) is active."""
    return and_(Patient.anonymised_at.is_(None), or_(Patient.user_id.is_(None), Patient.user.has(User.active)))


def choosable_doctor():
    """A doctor whose profile and account are both active."""
    return and_(Doctor.active, Doctor.user.has(User.active))
