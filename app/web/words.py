"""What pages say for the system's codes: statuses, appointment types, and the core's refusals, in the reader's
language. One place per code, so a page never shows "scheduled" or "ecg" and a German page never shows an English
refusal (docs/architecture.md, "Words")."""
from __future__ import annotations

from flask import g
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import AppointmentType
from app.scheduling.codes import Status
from app.scheduling.noshow_features import risk_band

STATUS_LABELS = {
    Status.SCHEDULED: _l("booked"),
    Status.CHECKED_IN: _l("checked in"),
    Status.IN_PROGRESS: _l("in progress"),
    Status.COMPLETED: _l("completed"),
    Status.CANCELLED: _l("cancelled"),
    Status.NO_SHOW: _l("no show"),
    Status.HELD: _l("held for the waitlist"),
}

# The no-show bands (app.scheduling.noshow_features.risk_band): a band, not a verdict (docs/noshow.md, "Bands")
RISK_LABELS = {"low": _l("low risk"), "medium": _l("medium risk"), "high": _l("high risk")}
# the lead-time bands of the no-show rates (app.scheduling.noshow_features.LEAD_BANDS)
LEAD_LABELS = {"same_day": _l("same day"), "1_2_days": _l("1-2 days ahead"), "3_7_days": _l("3-7 days ahead"),
               "8_30_days": _l("8-30 days ahead"), "over_30_days": _l("more than 30 days ahead")}
WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
                 _l("Sunday"))

# Each code of app.scheduling.errors in words a reader can act on. A refusal whose own message has a translation
# is shown in full; otherwise a non-English page shows its code's sentence here (tests/unit/test_error_words.py
# fails when a code has none, or no German).
ERROR_MESSAGES = {
    "scheduling_error": _l("This request cannot be carried out."),
    "slot_taken": _l("This time has just been taken. Please choose another."),
    "in_past": _l("This time is in the past."),
    "outside_hours": _l("No appointment starts at that time."),
    "beyond_horizon": _l("This day is too far ahead to book yet."),
    "min_notice": _l("This time is too soon to book."),
    "daily_limit": _l("No more appointments can be booked on that day."),
    "type_not_offered": _l("This kind of appointment is not offered at that time."),
    "patient_overlap": _l("The patient already has an appointment at that time."),
    "invalid_transition": _l("This change is not possible in the appointment's current state."),
    "cutoff_passed": _l("It is too late to change this appointment online. Please call the hospital."),
    "blocked": _l("The doctor is not available at that time."),
    "queue": _l("The queue cannot do this now."),
    "vitals_out_of_range": _l("A vital sign is outside its possible range."),
    "waitlist": _l("This waitlist request cannot be accepted."),
    "offer_closed": _l("This offer is no longer open."),
    "schedule_invalid": _l("The schedule has errors."),
    "weights_invalid": _l("These weights cannot be used."),
    "allocation_invalid": _l("The allocation input is invalid."),
    "proposal_stale": _l("This proposal no longer holds. Please run it again."),
    "overbook_rule_invalid": _l("This overbooking rule cannot be used."),
    "overbook_refused": _l("No extra booking is possible in this session."),
    "payment_required": _l("This appointment type must be paid online when it is booked."),
    "payment_unavailable": _l("Online payment is not available right now. Please try again in a few minutes."),
    "card_declined": _l("The card was declined. Please try another card."),
    "period_invalid": _l("This period cannot be shown."),
    "invalid_series": _l("This series cannot be booked as asked."),
    "team_invalid": _l("This team cannot be formed."),
    "team_not_free": _l("The team is not free together at that time. Please choose another."),
    "series_changed": _l("The free times have changed since the preview: check the new preview and confirm again. "
                         "Nothing was booked."),
}


def say(text: object) -> str:
    """A message in the reader's language: a core Text through its template (values said too), any other string
    through the catalogue when it has it, else as it is."""
    template = getattr(text, "template", None)
    if template is not None:
        return gettext(template, **{k: say(v) for k, v in text.params.items()})
    return gettext(text) if isinstance(text, str) and text else str(text)


def error_text(err: Exception) -> str:
    """The refusal for a page: its own message when the reader's language has it, else its code's sentence."""
    message = getattr(err, "message", str(err))
    said = say(message)
    general = ERROR_MESSAGES.get(getattr(err, "code", None))
    if general is None or said != str(message) or str(get_locale()).startswith("en"):
        return said
    return str(general)


def status_label(code: str) -> str:
    label = STATUS_LABELS.get(code)
    return str(label) if label is not None else gettext(code.replace("_", " "))


def risk_label(band: str) -> str:
    return str(RISK_LABELS[band])


def lead_label(band: str) -> str:
    return str(LEAD_LABELS[band])


def weekday_name(number: int) -> str:
    return str(WEEKDAY_NAMES[number])


def type_name(code: str | None, hospital_id: int | None = None) -> str:
    """The appointment type's name at the hospital ("ECG with consultation"), translated; its code's words when
    the hospital has no such type (an old or federated booking)."""
    if not code:
        return ""
    names = g.setdefault("type_names", {})
    if hospital_id is not None and (code, hospital_id) not in names:
        names[(code, hospital_id)] = db.session.scalar(select(AppointmentType.name).where(
            AppointmentType.hospital_id == hospital_id, AppointmentType.code == code).limit(1))
    name = names.get((code, hospital_id)) if hospital_id is not None else None
    if name is None:
        name = {"new": "New patient", "follow_up": "Follow-up"}.get(code) or code.replace("_", " ")
    return gettext(name)


def init_words(app) -> None:
    app.jinja_env.globals.update(status_label=status_label, type_name_of=type_name, say=say, error_text=error_text,
                                 risk_band=risk_band, risk_label=risk_label, lead_label=lead_label,
                                 weekday_name=weekday_name)
    app.jinja_env.globals.update(status_label=status_label, type_name_of=type_name, say=say, error_text=error_text)


# the figures of the reports' tables and CSV downloads (docs/reports.md)
REPORT_COLUMNS = {
    "offered_hours": _l("Offered hours"),
    "used_hours": _l("Used hours"),
    "lost_hours": _l("Lost hours"),
    "utilisation": _l("Utilisation"),
    "appointments": _l("Appointments"),
    "no_shows": _l("No-shows"),
    "no_show_rate": _l("No-show rate"),
    "late_cancellations": _l("Late cancellations"),
    "lead_days": _l("Days from booking to visit"),
    "offers": _l("Waitlist offers"),
    "offers_accepted": _l("Offers accepted"),
    "refill_share": _l("Freed slots refilled"),
    "walk_ins": _l("Walk-ins"),
    "booked_arrivals": _l("Booked arrivals"),
    "wait_median": _l("Wait to call, typical (min)"),
    "wait_p90": _l("Wait to call, p90 (min)"),
    "consult_median": _l("Consultation, typical (min)"),
    "consult_p90": _l("Consultation, p90 (min)"),
    "third_next_days": _l("Third next available (days)"),
    "days_without": _l("Days with fewer than 3 free slots in 4 weeks"),
}
