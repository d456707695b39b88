"""Template globals and filters: local times with their zone, money in the reader's locale, the role's home page."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from app.money import format_money

HOME_ENDPOINTS = {
    "patient": "patient.home", "doctor": "doctor.home", "nurse": "nurse.home",
    "staff": "staff.home", "admin": "admin.home",
}


# (endpoint, label, roles that see it; None = not logged in)
NAV_ITEMS = [
    ("public.index", _l("Home"), (None,)),
    ("public.search", _l("Find an appointment"), (None, "patient")),
    ("public.hospitals", _l("Hospitals"), (None, "patient")),
    ("patient.home", _l("My appointments"), ("patient",)),
    ("patient.waitlist", _l("My waitlist"), ("patient",)),
    ("doctor.home", _l("My day"), ("doctor",)),
    ("doctor.day", _l("Queue"), ("doctor",)),
    ("doctor.week", _l("Week"), ("doctor",)),
    ("doctor.availability", _l("My availability"), ("doctor",)),
    ("nurse.home", _l("Nurse station"), ("nurse",)),
    ("staff.home", _l("Front desk"), ("staff",)),
    ("staff.desk", _l("Queue"), ("staff",)),
    ("staff.patients", _l("Patients"), ("staff",)),
    ("staff.doctors", _l("Doctors"), ("staff",)),
    ("staff.waitlist", _l("Waitlist"), ("staff",)),
    ("staff.team_overview", _l("Teams"), ("staff",)),
    ("admin.home", _l("Overview"), ("admin",)),
    ("admin.hospitals", _l("Hospitals"), ("admin",)),
    ("admin.doctors", _l("Doctors"), ("admin",)),
    ("admin.users", _l("Users"), ("admin",)),
    ("admin.catalogue", _l("Catalogue"), ("admin",)),
    ("admin.audit", _l("Audit log"), ("admin",)),
    ("admin.outbox", _l("Outbox"), ("admin",)),
    ("messages.index", _l("Messages"), ("patient", "staff", "doctor")),
    ("locations.index", _l("Theatres & rooms"), ("staff", "doctor", "nurse", "admin")),
]


def home_url_for(user) -> str:
    if user is None or not user.is_authenticated:
        return url_for("public.index")
    return url_for(HOME_ENDPOINTS[user.role])


_DAY_BEFORE_MONTH = re.compile(r"\bd (?=M)")


def localised_pattern(fmt: str) -> str:
    """German writes the day as an ordinal: "Mo 7. Dez. 2026", not "Mo 7 Dez. 2026"."""
    return _DAY_BEFORE_MONTH.sub("d. ", fmt) if str(get_locale()).startswith("de") else fmt


def local_time(value: datetime | None, tz: str, fmt: str = "EEE d MMM yyyy, HH:mm") -> str:
    """Render a stored naive-UTC instant in a hospital's zone, naming the zone."""
    if value is None:
        return ""
    local = value.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz))
    return f"{format_datetime(local.replace(tzinfo=None), localised_pattern(fmt))} ({local.tzname()})"


def dateformat(value, fmt: str = "medium") -> str:
    return format_date(value, localised_pattern(fmt))


def money(amount, currency: str | None) -> str:
    """A fee in the reader's language: "£80.00" in English, "80,00 €" in German."""
    return format_money(amount, currency, str(get_locale() or "en"))


def checkin_qr(appointment) -> Markup:
    """The appointment's signed check-in code as an inline SVG QR code, for the self check-in kiosk."""
    import segno

    from app.services.queue import checkin_code

    return Markup(segno.make(checkin_code(appointment), error="m").svg_inline(scale=4, title=str(_l("Check-in code"))))


def init_templating(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(home_url=lambda: home_url_for(current_user), nav_items=NAV_ITEMS,
                                  get_locale=get_locale)
    app.jinja_env.globals["checkin_qr"] = checkin_qr
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["dateformat"] = dateformat
    app.jinja_env.filters["money"] = money
