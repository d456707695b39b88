"""Appointment lifecycle: the statuses, the allowed transitions, and their FHIR R4 names.

scheduled -> checked_in -> in_progress -> completed, with cancelled and no_show as exits before the visit starts.
Active statuses hold their claims (the doctor's and room's cells); leaving them releases the claims.

held is a freed slot kept for the waitlist (issue #7): an appointment without a patient whose claims keep search
from selling the slot while offers are out. It becomes scheduled when a patient accepts, or cancelled when the
offers run out. It is not ACTIVE (no patient has it: patient lists, reminders and overlap checks ignore it), but it
is in HOLDING, the statuses whose claims count as busy time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .codes import Kind, Status
from .errors import CutoffPassed, InvalidTransition

SCHEDULED = Status.SCHEDULED
CHECKED_IN = Status.CHECKED_IN
IN_PROGRESS = Status.IN_PROGRESS
COMPLETED = Status.COMPLETED
CANCELLED = Status.CANCELLED
NO_SHOW = Status.NO_SHOW
HELD = Status.HELD

STATUSES = (SCHEDULED, CHECKED_IN, IN_PROGRESS, COMPLETED, CANCELLED, NO_SHOW, HELD)

ALLOWED: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({CHECKED_IN, CANCELLED, NO_SHOW}),
    CHECKED_IN: frozenset({IN_PROGRESS, CANCELLED, NO_SHOW}),
    IN_PROGRESS: frozenset({COMPLETED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
    NO_SHOW: frozenset(),
    HELD: frozenset({SCHEDULED, CANCELLED}),
}

ACTIVE = frozenset({SCHEDULED, CHECKED_IN, IN_PROGRESS})
TERMINAL = frozenset({COMPLETED, CANCELLED, NO_SHOW})
# what holds the doctor's time: the active statuses and a waitlist hold
HOLDING = ACTIVE | {HELD}

FHIR_STATUS: dict[str, str] = {
    SCHEDULED: "booked",
    CHECKED_IN: "arrived",
    IN_PROGRESS: "checked-in",
    COMPLETED: "fulfilled",
    CANCELLED: "cancelled",
    NO_SHOW: "noshow",
    HELD: "proposed",
}


def can_transition(old: str, new: str) -> bool:
    """Tell whether an appointment may move from status ``old`` to ``new``."""
    return new in ALLOWED.get(old, frozenset())


def check_transition(old: str, new: str) -> None:
    """Raise ``InvalidTransition`` naming both statuses unless ``old -> new`` is allowed.

    Staying in the same status is not a transition and is refused too, so a repeated request is noticed.
    """
    if not can_transition(old, new):
        raise InvalidTransition(f"An appointment cannot go from '{old}' to '{new}'.", "status")


def releases_claims(old: str, new: str) -> bool:
    """Tell whether moving ``old -> new`` leaves the statuses that hold time, so the claims must be deleted with it.

    held -> scheduled keeps the claims: the hold's cells become the patient's.
    """
    return old in HOLDING and new not in HOLDING


def online_change_deadline(start: datetime, cutoff_hours: int) -> datetime:
    """The last instant a patient may cancel or move an appointment starting at ``start`` themselves: the hospital's
    cut-off (``cutoff_hours``) before the start. Exactly at the deadline is still allowed."""
    return start - timedelta(hours=cutoff_hours)


def check_patient_change(status: str, kind: str, start: datetime, cutoff_hours: int, now: datetime, *,
                         time_withdrawn: bool = False) -> None:
    """The one rule for a patient changing their own appointment, from any entry (their pages, the e-mailed manage
    link, the API): only a scheduled appointment (not a room booking), and only until the cut-off; later, the
    hospital does it. When the doctor has since taken that time off (``time_withdrawn``), the patient may still
    cancel or move it. Raises ``InvalidTransition`` or ``CutoffPassed`` (409 ``cutoff_passed``)."""
    if kind in (Kind.LOCATION, Kind.TEAM) or status != SCHEDULED:
        raise InvalidTransition("Only a scheduled appointment can be changed online.", "status")
    if now > online_change_deadline(start, cutoff_hours) and not time_withdrawn:
        raise CutoffPassed(f"Online changes close {cutoff_hours} hours before the appointment; "
                           "please call the hospital.", "start")


def may_patient_change(status: str, kind: str, start: datetime, cutoff_hours: int, now: datetime, *,
                       time_withdrawn: bool = False) -> bool:
    """``check_patient_change`` as a yes or no, for pages deciding whether to offer the buttons."""
    try:
        check_patient_change(status, kind, start, cutoff_hours, now, time_withdrawn=time_withdrawn)
    except (InvalidTransition, CutoffPassed):
        return False
    return True
