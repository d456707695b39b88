"""Pieces every booking page shares: the patient's pages, the front desk, the doctor's follow-up and the manage link.

A slot start read from a link or form, a start shown in the hospital's time, the cancel and pick-a-slot forms, and
`submit_change`: run one booking change that a valid form asks for, commit it and announce it, or roll back and put
the scheduling core's reason on the form.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import abort
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app import scheduling as core
from app.forms import SafeForm
from app.models import Hospital
from app.templating import money
from app.transaction import transaction
from app.web.words import error_text


class CancelForm(SafeForm):
    reason = StringField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=255)],
                         description=_l("It helps the hospital offer the time to someone else."))
    submit = SubmitField(_l("Cancel appointment"))


class PickSlotForm(SafeForm):
    start = HiddenField(validators=[DataRequired()])


class DateRangeForm(SafeForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    first_day = DateField(_l("From"), validators=[DataRequired()])
    last_day = DateField(_l("To"), validators=[DataRequired()])
    submit = SubmitField(_l("Show free times"))


def parse_start(value: str | None, tz: str | None = None) -> datetime | None:
    """A slot start (naive UTC) from ISO 8601 with an offset, or a wall time in `tz` (UTC without it); None if
    unreadable. A "+" in a query string arrives as a space, so a space before the offset counts as "+"."""
    try:
        start = datetime.fromisoformat((value or "").replace(" ", "+"))
    except ValueError:
        return None
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(tz) if tz else UTC)
    return start.astimezone(UTC).replace(tzinfo=None)


def start_or_404(value: str | None, tz: str | None = None) -> datetime:
    """As parse_start, for a start in a page's address or form: unreadable is a page that does not exist."""
    start = parse_start(value, tz)
    if start is None:
        abort(404)
    return start


def follow_fees(field, hospital: Hospital, fees: Mapping[str, Decimal], target: str = "booking-fee") -> None:
    """Let static/js/booking-fee.js show the chosen type's fee in the element `target` before anyone confirms: each
    type's fee goes into the select, already written in the reader's language and the hospital's currency."""
    if fees:
        field.render_kw = {**(field.render_kw or {}), "data-fee-target": target, "data-fees": json.dumps(
            {code: money(fee, hospital.currency) for code, fee in fees.items()})}


def local_when(start: datetime, hospital: Hospital) -> str:
    """A stored instant as the hospital's wall time with its zone, e.g. "2026-03-02 09:15 (GMT)"."""
    local = core.to_local(start, ZoneInfo(hospital.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({local.tzname()})"


def submit_change(form: SafeForm, change: Callable[[], object]) -> int | None:
    """Run `change` when the form is submitted and valid. None: committed and announced. Otherwise the status to
    render the form with: 200 not submitted, 422 invalid, or the refusing core error's status (rolled back, its
    message on the form)."""
    if not form.validate_on_submit():
        return 422 if form.is_submitted() else 200
    try:
        with transaction():
            change()
    except core.SchedulingError as err:
        form.form_errors.append(error_text(err))
        return err.http_status
    return None
