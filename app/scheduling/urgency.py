"""Whose word sets urgency: staff decide it; a patient's own "urgent" is a request (docs/security.md, "Urgency").

A patient who books themselves states an urgency. It is kept beside the appointment for staff to read, but the
appointment's urgency (which the queue's default priority follows) stays routine until staff set it. The stated
urgency reaches the slots held back for urgent needs only at a hospital that allows self-declared urgency.
"""
from __future__ import annotations

from .codes import Urgency


def slot_urgency(stated: str, *, by_staff: bool, self_declared_allowed: bool) -> str:
    """The urgency a search or a placement may use: staff's as given, a patient's only where the hospital allows."""
    if stated == Urgency.URGENT and (by_staff or self_declared_allowed):
        return Urgency.URGENT
    return Urgency.ROUTINE


def recorded_urgency(stated: str, *, by_patient: bool) -> tuple[str, str | None]:
    """(the appointment's urgency, the urgency the patient stated): a patient's statement never sets the first."""
    if by_patient:
        return Urgency.ROUTINE, stated
    return stated, None
