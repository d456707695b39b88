"""A paid booking in Chromium against a real localstripe (docs/payments.md, "Testing"): the patient confirms a type
the hospital wants paid first, types a test card into localstripe's stand-in for Stripe Elements (its
/js.stripe.com/v3/ mock, served by the server itself), pays, and lands on "You are booked" once localstripe's
signed webhook has reached the live server. Nothing is confirmed from the test's side."""
from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import expect
from sqlalchemy import select

from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Payment, Role
from app.services.payments import settings as payment_settings
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.e2e.test_patient_portal import assert_accessible
from tests.stripe_server import SECRET, localstripe, stripe_app  # noqa: F401 (fixtures)


def test_a_patient_pays_and_the_webhook_books(page, live_server, make, stripe_app, localstripe):  # noqa: F811
    requests.post(f"{localstripe}/_config/webhooks/waitless-e2e", timeout=5,
                  data={"url": f"{live_server}/payments/stripe/webhook", "secret": SECRET}).raise_for_status()
    hospital = make.hospital(name="Thames Hospital")
    make.priced_types(hospital, ecg=120)
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    payment_settings.save(None, hospital, mode="required", type_codes=["ecg"], hold_minutes=15, desk_allowed=True)
    db.session.commit()
    make.user(Role.PATIENT, email="mary@example.org")
    tz = ZoneInfo(hospital.timezone)
    start = core.to_local(core.to_utc(date.today() + timedelta(days=3), time(10), tz), tz).isoformat()

    sign_in(page, live_server, "mary@example.org", PASSWORD)
    page.goto(f"{live_server}/patient/book?doctor={doctor.id}&hospital={hospital.id}&type=ecg"
              f"&start={start.replace('+', '%2B')}")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Pay for your appointment")).to_be_visible()
    expect(page.locator("#pay-hold")).to_contain_text("We hold this time for you")
    number = page.get_by_label("Card number")
    expect(number).to_be_visible()  # Stripe.js (localstripe's mock) loaded and mounted the card element
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)

    number.fill("4242424242424242")
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YY)").fill("40")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Postcode").fill("SE1")
    page.get_by_role("button", name="Pay £120.00").click()
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible(timeout=20_000)

    db.session.commit()  # a fresh snapshot: MariaDB's REPEATABLE READ would show the one from before the payment
    payment = db.session.scalars(select(Payment)).one()
    assert payment.status == "paid" and payment.method == "card"
    assert db.session.get(Appointment, payment.appointment_id).status == "scheduled"
