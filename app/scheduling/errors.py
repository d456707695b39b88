"""Domain errors of the scheduling core.

Each error carries a stable machine ``code``, a human ``message``, the form ``field`` it concerns (or None) and the
HTTP status an entry point should answer with: 409 when the request was fine but the world changed under it (the
slot was just taken, a limit was reached), 422 when the request itself cannot be honoured. Entry points translate
these into responses; the core never builds a response itself.
"""

# The class names are a public contract that reads as sentences (``raise SlotTaken(...)``), hence no Error suffix.
# ruff: noqa: N818

from __future__ import annotations

from collections.abc import Mapping


class SchedulingError(Exception):
    """Base class: a scheduling rule refused the request."""

    code: str = "scheduling_error"
    http_status: int = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        """Keep ``message`` as the exception text so logs and ``str(exc)`` show it."""
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, object]:
        """Return the JSON-ready error body ``{"code", "message", "field"}``."""
        return {"code": self.code, "message": self.message, "field": self.field}


class SlotTaken(SchedulingError):
    """The slot has no seat left (someone was faster) or is held back for urgent cases."""

    code, http_status = "slot_taken", 409


class InPast(SchedulingError):
    """The requested start lies in the past."""

    code, http_status = "in_past", 422


class OutsideHours(SchedulingError):
    """No slot starts at the requested instant (or the appointment would run past the session)."""

    code, http_status = "outside_hours", 422


class BeyondHorizon(SchedulingError):
    """The requested day is further ahead than the booking horizon."""

    code, http_status = "beyond_horizon", 422


class TooShortNotice(SchedulingError):
    """The requested start is sooner than the minimum notice allows."""

    code, http_status = "min_notice", 422


class DailyLimitReached(SchedulingError):
    """The daily limit of appointments is already reached for that day."""

    code, http_status = "daily_limit", 409


class TypeNotOffered(SchedulingError):
    """The slot does not offer the requested appointment type."""

    code, http_status = "type_not_offered", 422


class PatientOverlap(SchedulingError):
    """The patient already has an active appointment at that time."""

    code, http_status = "patient_overlap", 409


class InvalidTransition(SchedulingError):
    """An appointment status change that the lifecycle does not allow."""

    code, http_status = "invalid_transition", 409


class CutoffPassed(SchedulingError):
    """A patient's own online change (cancel, move) after the hospital's cut-off before the start."""

    code, http_status = "cutoff_passed", 409


class Blocked(SchedulingError):
    """The requested time is inside an availability exception (leave, closure)."""

    code, http_status = "blocked", 422


class QueueError(SchedulingError):
    """The front-desk queue refused: a second token, a closed queue, a bad check-in code, a missing reason.

    409 by default (the queue's state forbids it); pass ``http_status=422`` when the input itself was wrong.
    """

    code, http_status = "queue", 409

    def __init__(self, message: str, field: str | None = None, *, http_status: int | None = None) -> None:
        """Keep the class's status unless the caller names another one for this refusal."""
        super().__init__(message, field)
        if http_status is not None:
            self.http_status = http_status


class VitalsOutOfRange(SchedulingError):
    """A vital sign is not a number, outside its physiological range, or inconsistent with another one."""

    code, http_status = "vitals_out_of_range", 422


class WaitlistError(SchedulingError):
    """A waitlist request that cannot be honoured: a latest date in the past, a duplicate entry, a bad wish."""

    code, http_status = "waitlist", 422

    def __init__(self, message: str, field: str | None = None, *, http_status: int | None = None) -> None:
        """Keep the class's status unless the caller names another (409 for a duplicate live entry)."""
        super().__init__(message, field)
        if http_status is not None:
            self.http_status = http_status


class OfferClosed(SchedulingError):
    """A waitlist offer that can no longer be accepted: taken by someone faster, expired, declined or forged."""

    code, http_status = "offer_closed", 409


class ScheduleInvalid(SchedulingError):
    """A schedule failed validation; ``fields`` maps each bad field (``"rules.2.end"``) to its message."""

    code, http_status = "schedule_invalid", 422

    def __init__(
        self,
        message: str = "The schedule has errors.",
        field: str | None = None,
        *,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        """Accept the field errors as ``fields=``; a lone ``field`` becomes a one-entry ``fields`` too."""
        super().__init__(message, field)
        self.fields: dict[str, str] = dict(fields or {})
        if field is not None and not self.fields:
            self.fields = {field: message}

    def to_dict(self) -> dict[str, object]:
        """Return the error body with the per-field messages added under ``"fields"``."""
        return {**super().to_dict(), "fields": dict(self.fields)}


class WeightsInvalid(SchedulingError):
    """Weights of the optimiser or of the slot fit score that cannot be used: not a number, negative, out of range.

    ``field`` names the weight (``"urgent"``, ``"overbooking"``) so a region's settings form can mark it.
    """

    code, http_status = "weights_invalid", 422


class AllocationInvalid(SchedulingError):
    """Input the optimiser refuses: a duplicate id, an unknown urgency, negative seats, an overbooking penalty
    outside [0, 1], a slot that ends before it starts. ``field`` names the input (``"requests.3.urgency"``)."""

    code, http_status = "allocation_invalid", 422


class ProposalStale(SchedulingError):
    """An optimiser proposal that no longer holds: a slot it gives out was taken or held meanwhile (another
    proposal applied first, a booking), a patient stopped waiting, or the proposal is too old. Nothing of it is
    applied; the staff run it again."""

    code, http_status = "proposal_stale", 409


class OverbookRuleInvalid(SchedulingError):
    """An overbooking rule that cannot be used: a negative or absurd number of extra seats, a penalty or a
    low-risk threshold out of range. ``field`` names the rule's field (``"max_extra"``, ``"alpha"``, ``"low_risk"``)."""

    code, http_status = "overbook_rule_invalid", 422


class OverbookRefused(SchedulingError):
    """No extra booking here: overbooking is off, the session still has regular slots, its extra seats are taken,
    the slot's patient is low-risk, or the expected attendance would pass the rule's limit. ``reason`` says which
    (docs/overbooking.md, "The decision")."""

    code, http_status = "overbook_refused", 409

    def __init__(self, message: str, reason: str, field: str | None = "start") -> None:
        super().__init__(message, field)
        self.reason = reason


class PeriodInvalid(SchedulingError):
    """A reporting period that cannot be computed or shown: reversed, reaching into the future, or too long.
    ``field`` is "from" or "to"."""

    code, http_status = "period_invalid", 422
