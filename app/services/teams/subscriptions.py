"""Teams follow availability's leave signal (docs/architecture.md, "Events"): availability never imports teams, and
the flag is written in the transaction that adds the leave."""
from __future__ import annotations

from app.services import signals
from app.services.teams.operations import flag_absent


@signals.leave_added.connect
def flag_team_appointments(_sender, *, resource_id, start, end, **_kwargs) -> None:
    """A member's leave over a team appointment marks it for rebooking; the others keep their claims until staff
    rebook or cancel it."""
    flag_absent(resource_id, start, end)
