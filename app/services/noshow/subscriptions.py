"""No-show predictions follow booking's signals (docs/architecture.md, "Events"): booking never imports this
package, and a booking is scored in the booking's own transaction."""
from __future__ import annotations

from app.services import signals
from app.services.noshow.predictions import predict


@signals.appointment_booked.connect
def score_booking(_sender, *, appointment, now) -> None:
    """Every booking path (patient, desk, API, waitlist accept, reschedule) sends the signal: one place scores."""
    predict(appointment, now)
