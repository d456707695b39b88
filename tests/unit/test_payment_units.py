"""Pure parts of payments (docs/payments.md): amounts in Stripe's smallest unit, the cancellation policy's cut-off,
and the pay page's Content-Security-Policy."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from app.headers import CONTENT_SECURITY_POLICY, stripe_policy
from app.services.payments.gateway import minor_units
from app.services.payments.refunds import refund_due


def test_minor_units_follow_the_currency():
    assert minor_units(Decimal("80.00"), "GBP") == 8000
    assert minor_units(Decimal("19.99"), "eur") == 1999
    assert minor_units(Decimal("500"), "JPY") == 500  # no minor unit


def test_refund_in_full_only_before_the_cut_off():
    start = datetime(2030, 5, 10, 10, 0)
    appointment = SimpleNamespace(start=start, hospital=SimpleNamespace(cancel_cutoff_hours=24))
    assert refund_due(appointment, start - timedelta(hours=24))  # exactly at the cut-off: still in time
    assert not refund_due(appointment, start - timedelta(hours=23, minutes=59))


def test_only_the_pay_page_policy_allows_stripe():
    local = stripe_policy({"STRIPE_API_BASE": "http://127.0.0.1:8420/"})
    assert local["script-src"] == ["'self'", "http://127.0.0.1:8420/js.stripe.com/v3/"]
    assert local["connect-src"] == ["'self'", "http://127.0.0.1:8420"]
    stripe = stripe_policy({})
    assert stripe["script-src"] == ["'self'", "https://js.stripe.com/v3/"]
    assert CONTENT_SECURITY_POLICY["script-src"] == "'self'"  # every other page keeps the strict policy
