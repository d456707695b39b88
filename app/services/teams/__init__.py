"""Procedure teams (docs/teams.md): team templates, the team search, team bookings and what leave does to them."""
from app.services.teams import subscriptions  # noqa: F401  (leave flags team appointments)
from app.services.teams.operations import (
    TeamSearch,
    book_team,
    day_list,
    may_edit_template,
    may_use_teams,
    needs_rebooking,
    participant_rows,
    participants,
    put_template,
    search_team,
    template_for,
    templates_at,
)

__all__ = ["TeamSearch", "book_team", "day_list", "may_edit_template", "may_use_teams", "needs_rebooking",
           "participant_rows", "participants", "put_template", "search_team", "template_for", "templates_at"]
