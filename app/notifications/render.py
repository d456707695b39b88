"""Turn an outbox row into what a channel sends: subject, text and HTML bodies, .ics attachment, SMS text.

Templates live under templates/email/: <template>.txt and .html for e-mail, <template>.sms.txt for SMS, one file
per kind holding English and German (`lang`). They render with StrictUndefined: a missing variable is a dead letter
with the reason, never a message with a hole in it. Everything a message says comes from the row's context,
written when the event happened, so a retry days later says exactly what the first attempt would have said.
"""
from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from flask_mail import Message
from jinja2 import StrictUndefined, TemplateError

from app.extensions import db
from app.models import Appointment, OutboxMessage
from app.notifications import ics
from app.scheduling.codes import OfferStatus, Status


class RenderError(Exception):
    pass


SUBJECTS = {
    "verify_email": {"en": "Confirm your e-mail address", "de": "Bestätigen Sie Ihre E-Mail-Adresse"},
    "reset_password": {"en": "Reset your Waitless password", "de": "Ihr Waitless-Passwort zurücksetzen"},
    "account_exists": {"en": "Someone tried to register with your address",
                       "de": "Jemand wollte sich mit Ihrer Adresse registrieren"},
    "appointment_booked": {"en": "Your appointment on {when} is booked",
                           "de": "Ihr Termin am {when} ist gebucht"},
    "appointment_moved": {"en": "Your appointment is moved to {when}",
                          "de": "Ihr Termin wurde auf {when} verschoben"},
    "appointment_cancelled": {"en": "Your appointment on {when} is cancelled",
                              "de": "Ihr Termin am {when} ist abgesagt"},
    "appointment_reminder": {"en": "Reminder: your appointment on {when}",
                             "de": "Erinnerung: Ihr Termin am {when}"},
    "appointment_confirm": {"en": "Please confirm your appointment on {when}",
                            "de": "Bitte bestätigen Sie Ihren Termin am {when}"},
    "appointment_leave": {"en": "Your doctor is not available on {when}: please choose a new time",
                          "de": "Ihr Arzt ist am {when} nicht verfügbar: bitte wählen Sie einen neuen Termin"},
    "staff_notice": {"en": "Waitless: {headline}", "de": "Waitless: {headline}"},
    "message_waiting": {"en": "A new message is waiting for you on Waitless",
                        "de": "Eine neue Nachricht wartet auf Sie bei Waitless"},
    "waitlist_offer": {"en": "An earlier appointment is free: {when}. Reply before {expires_time}",
                       "de": "Ein früherer Termin ist frei: {when}. Antworten Sie bis {expires_time}"},
    "absence_offer": {"en": "Your doctor is absent: a new time for you, {when}. Reply before {expires_time}",
                      "de": "Ihr Arzt ist abwesend: ein neuer Termin für Sie, {when}. "
                            "Antworten Sie bis {expires_time}"},
    "emergency_offer": {"en": "An emergency needs your doctor: a new time for you, {when}. "
                              "Reply before {expires_time}",
                        "de": "Ein Notfall braucht Ihren Arzt: ein neuer Termin für Sie, {when}. "
                              "Antworten Sie bis {expires_time}"},
    "waitlist_taken": {"en": "The appointment on {when} has been taken",
                       "de": "Der Termin am {when} ist vergeben"},
    "location_displaced": {"en": "Your booking of {room_name} was cancelled for an emergency",
                           "de": "Ihre Buchung von {room_name} wurde wegen eines Notfalls abgesagt"},
    "payment_receipt": {"en": "Receipt: {amount} for your appointment on {when}",
                        "de": "Quittung: {amount} für Ihren Termin am {when}"},
    "payment_refunded": {"en": "Refund: {amount} for your appointment on {when}",
                         "de": "Erstattung: {amount} für Ihren Termin am {when}"},
    "payment_late_refunded": {"en": "Your payment came too late: {amount} refunded",
                              "de": "Ihre Zahlung kam zu spät: {amount} erstattet"},
}
WHEN_FORMATS = {"en": "EEEE d MMMM y, HH:mm", "de": "EEEE, d. MMMM y, HH:mm"}


def _env():
    env = current_app.extensions.get("waitless.mail_jinja")
    if env is None:
        env = current_app.jinja_env.overlay(undefined=StrictUndefined)
        current_app.extensions["waitless.mail_jinja"] = env
    return env


def format_when(value: str, tz: str, lang: str) -> str:
    """A stored naive-UTC instant as the hospital's wall-clock time, in the reader's language, naming the zone."""
    instant = datetime.fromisoformat(value).replace(tzinfo=UTC)
    local = format_datetime(instant, WHEN_FORMATS.get(lang, WHEN_FORMATS["en"]), tzinfo=ZoneInfo(tz), locale=lang)
    return f"{local} ({tz})"


def format_time(value: str, tz: str, lang: str) -> str:
    """A stored naive-UTC instant as the hospital's wall-clock time of day, naming the zone (14:25 (Europe/Berlin))."""
    instant = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return f"{format_datetime(instant, 'HH:mm', tzinfo=ZoneInfo(tz), locale=lang)} ({tz})"


def template_context(row: OutboxMessage) -> dict:
    ctx = dict(row.context or {})
    ctx["lang"] = row.language
    if "start" in ctx and "tz" in ctx:
        ctx["when"] = format_when(ctx["start"], ctx["tz"], row.language)
    if "end" in ctx and "tz" in ctx:
        ctx["end_time"] = format_time(ctx["end"], ctx["tz"], row.language)
    if "expires_at" in ctx and "tz" in ctx:  # a waitlist offer's hold: the hospital's wall clock, like `when`
        ctx["expires_when"] = format_when(ctx["expires_at"], ctx["tz"], row.language)
        ctx["expires_time"] = format_time(ctx["expires_at"], ctx["tz"], row.language)
    if "old_start" in ctx and "tz" in ctx:
        ctx["old_when"] = format_when(ctx["old_start"], ctx["old_tz"] if "old_tz" in ctx else ctx["tz"],
                                      row.language)
    return ctx


def _render(name: str, ctx: dict) -> str:
    try:
        return _env().get_template(name).render(ctx)
    except TemplateError as err:
        raise RenderError(f"{name}: {err}") from None


def subject(row: OutboxMessage, ctx: dict) -> str:
    texts = SUBJECTS.get(row.template)
    if texts is None:
        raise RenderError(f"no subject for template {row.template!r}")
    try:
        return texts.get(row.language, texts["en"]).format_map(ctx)
    except (KeyError, IndexError) as err:
        raise RenderError(f"subject of {row.template}: missing {err}") from None


def render_email(row: OutboxMessage) -> Message:
    ctx = template_context(row)
    with force_locale(row.language):
        msg = Message(subject=subject(row, ctx), recipients=[row.recipient],
                      body=_render(f"email/{row.template}.txt", ctx),
                      html=_render(f"email/{row.template}.html", ctx))
    if "ics" in ctx:
        method = ctx["ics"]["method"]
        msg.attach("appointment.ics", f"text/calendar; method={method}; charset=UTF-8",
                   calendar_file(row, ctx), headers={"Content-Class": "urn:content-classes:calendarmessage"})
    return msg


def calendar_file(row: OutboxMessage, ctx: dict) -> bytes:
    data = ctx["ics"]
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or "no-reply@waitless.local"
    try:
        return ics.build(method=data["method"], uid=data["uid"], sequence=data["sequence"], start=ctx["start"],
                         end=ctx["end"], summary=data["summary"], location=data["location"], organizer=sender,
                         attendee=row.recipient, stamp=row.created_at, description=data.get("description", ""))
    except KeyError as err:
        raise RenderError(f"calendar file: missing {err}") from None


def render_sms(row: OutboxMessage) -> str:
    ctx = template_context(row)
    with force_locale(row.language):
        return " ".join(_render(f"email/{row.template}.sms.txt", ctx).split())


# messages about an appointment as it stands; once it is cancelled or moved they would mislead
STALE_WHEN_CHANGED = ("appointment_reminder", "appointment_leave", "appointment_confirm")


def stale_reason(row: OutboxMessage) -> str | None:
    """Why a message is no longer true and must not go out (a reminder or leave notice for an appointment
    cancelled or moved meanwhile)."""
    if row.template in ("waitlist_offer", "absence_offer", "emergency_offer"):
        return _stale_offer(row)
    if row.template not in STALE_WHEN_CHANGED:
        return None
    appointment = db.session.get(Appointment, row.appointment_id) if row.appointment_id else None
    if appointment is None or appointment.status != Status.SCHEDULED:
        return f"not sent: the appointment is {appointment.status if appointment else 'gone'}"
    if appointment.start.isoformat() != row.context.get("start"):
        return "not sent: the appointment was moved"
    return None


def _stale_offer(row: OutboxMessage) -> str | None:
    """An offer accepted by someone else, declined or expired before its message went out must not go out."""
    from app.models import Offer

    offer = db.session.get(Offer, row.context.get("offer_id")) if row.context.get("offer_id") else None
    if offer is None or offer.status != OfferStatus.OPEN:
        return f"not sent: the offer is {offer.status if offer else 'gone'}"
    return None
