"""German pages write dates with the ordinal dot ("Mo. 7. Dez. 2026"); English stays "Mon 7 Dec 2026"."""
from datetime import date, datetime

from flask import render_template_string

TEMPLATE = "{{ d|dateformat('EEEE d MMMM yyyy') }} | {{ t|local_time('Europe/Berlin') }}"
VALUES = {"d": date(2026, 12, 7), "t": datetime(2026, 12, 7, 9, 30)}


def test_german_dates_have_the_ordinal_dot(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert render_template_string(TEMPLATE, **VALUES) == "Montag 7. Dezember 2026 | Mo. 7. Dez. 2026, 10:30 (CET)"


def test_english_dates_are_unchanged(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string(TEMPLATE, **VALUES) == "Monday 7 December 2026 | Mon 7 Dec 2026, 10:30 (CET)"
