"""Payments against a real localstripe process (docs/payments.md): a paid booking is held, paid with a card token
as Stripe.js makes it, and confirmed by localstripe's own signed webhook; a second delivery changes nothing; a bad
signature or an old timestamp is refused; an unpaid hold expires; a late payment for a slot someone else took is
refunded; refunds follow the cut-off, staff may override; the desk records cash. Access: only the patient and the
hospital's staff.

Dates come from today: schedules run 09:00-12:00 daily with no notice, so "in three days at 10:00" is free.
"""
from __future__ import annotations

import json
import time as clock
from datetime import date, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func, select

from app import jobs
from app import scheduling as core
from app.extensions import db
from app.models import Appointment, Claim, OutboxMessage, Patient, Payment, Role, StripeEvent
from app.models.base import utcnow
from app.services import booking
from app.services.payments import settings as payment_settings
from tests.integration.racing import race
from tests.stripe_server import card_token, free_port, localstripe, sign, stripe_app, webhooks  # noqa: F401

TZ = "Europe/London"


def start_at(days: int, hh: int = 10) -> str:
    tz = ZoneInfo(TZ)
    return core.to_local(core.to_utc(date.today() + timedelta(days=days), time(hh), tz), tz).isoformat()


@pytest.fixture
def clinic(make, stripe_app):  # noqa: F811
    """A London hospital that wants "ecg" (£120) paid at booking; "new" (£80) is paid at the hospital."""
    hospital = make.hospital(name="Thames Hospital")
    make.priced_types(hospital, new=80, ecg=120)
    doctor = make.doctor(hospital, make.specialty(), name="Dr Ada Heart")
    make.schedule(doctor, hospital)
    payment_settings.save(None, hospital, mode="required", type_codes=["ecg"], hold_minutes=15, desk_allowed=True)
    db.session.commit()
    mary = make.user(Role.PATIENT, email="mary@example.org", name="Mary Major")
    staff = make.user(Role.STAFF, hospital, email="desk@example.org")
    return {"hospital": hospital, "doctor": doctor, "mary": mary, "staff": staff}


def book_paid(client, auth, clinic, days: int = 3, email: str = "mary@example.org", **form):
    auth.login(email)
    url = (f"/patient/book?doctor={clinic['doctor'].id}&hospital={clinic['hospital'].id}"
           f"&start={start_at(days).replace('+', '%2B')}")
    return client.post(url, data={"appointment_type": "ecg", "urgency": "routine", "reason": "", **form})


def pay(client, localstripe, payment: Payment) -> dict:  # noqa: F811
    response = client.post(f"/patient/payments/{payment.id}/card", json={"card": card_token(localstripe)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def deliver(client, body: bytes, signature: str):
    return client.post("/payments/stripe/webhook", data=body,
                       headers={"Stripe-Signature": signature, "Content-Type": "application/json"})


def only_payment() -> Payment:
    db.session.expire_all()
    return db.session.scalars(select(Payment)).one()


def outbox_templates() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.template).order_by(OutboxMessage.id)))


def test_paid_booking_is_confirmed_by_the_signed_webhook_once(client, auth, clinic, localstripe, webhooks):  # noqa: F811
    response = book_paid(client, auth, clinic)
    payment = only_payment()
    assert response.status_code == 302 and response.location.endswith(f"/patient/payments/{payment.id}")
    hold = db.session.get(Appointment, payment.appointment_id)
    mary = db.session.scalar(select(Patient).where(Patient.user_id == clinic["mary"].id))
    assert (hold.status, hold.patient_id, payment.status, payment.amount) == ("held", mary.id, "pending",
                                                                               Decimal("120.00"))
    assert db.session.scalar(select(func.count()).select_from(Claim).where(Claim.appointment_id == hold.id)) > 0
    page = client.get(f"/patient/payments/{payment.id}")
    assert page.status_code == 200 and b'id="pay-form"' in page.data
    assert "/js.stripe.com/v3/" in page.headers["Content-Security-Policy"]

    assert pay(client, localstripe, payment)["status"] == "succeeded"
    body, signature = webhooks.next_event("payment_intent.succeeded", payment.intent_id)
    assert client.get(f"/patient/payments/{payment.id}/status").get_json()["status"] == "pending"

    first = deliver(client, body, signature)
    assert first.status_code == 200 and first.get_json()["outcome"] == "applied"
    payment = only_payment()
    assert payment.status == "paid"
    assert db.session.get(Appointment, payment.appointment_id).status == "scheduled"
    assert client.get(f"/patient/payments/{payment.id}/status").get_json()["next"].endswith(
        f"/patient/appointments/{payment.appointment_id}?booked=1")
    mails = outbox_templates()
    assert mails.count("payment_receipt") == 1 and mails.count("appointment_booked") == 1

    again = deliver(client, body, signature)  # Stripe delivers at least once: the same event again
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert outbox_templates() == mails
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1


def test_bad_signature_or_old_timestamp_changes_nothing(client, auth, clinic, localstripe):  # noqa: F811
    book_paid(client, auth, clinic)
    payment = only_payment()
    event = {"id": "evt_forged", "object": "event", "type": "payment_intent.succeeded", "created": int(clock.time()),
             "data": {"object": {"id": payment.intent_id, "object": "payment_intent", "status": "succeeded"}}}
    body = json.dumps(event).encode()
    now = int(clock.time())
    assert deliver(client, body, sign(body, now, secret="whsec_someone_else")).status_code == 400
    assert deliver(client, body, sign(body, now - 3600)).status_code == 400  # replayed an hour later
    assert deliver(client, body + b" ", sign(body, now)).status_code == 400  # the body changed after signing
    assert client.post("/payments/stripe/webhook", data=body).status_code == 400  # no signature at all
    assert only_payment().status == "pending"
    assert db.session.get(Appointment, payment.appointment_id).status == "held"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0

    unknown = json.dumps(event | {"id": "evt_unknown", "data": {"object": {"id": "pi_not_ours"}}}).encode()
    answer = deliver(client, unknown, sign(unknown, now))
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "unknown"
    assert only_payment().status == "pending"


def test_an_unpaid_hold_expires_and_the_slot_is_on_sale_again(client, auth, clinic, make, localstripe):  # noqa: F811
    book_paid(client, auth, clinic)
    payment = only_payment()
    assert jobs.expire_payment_holds(now=utcnow() + timedelta(minutes=14)) == 0  # still within the hold
    assert jobs.expire_payment_holds(now=utcnow() + timedelta(minutes=16)) == 1
    payment = only_payment()
    hold = db.session.get(Appointment, payment.appointment_id)
    assert (payment.status, hold.status) == ("expired", "cancelled")
    assert db.session.scalar(select(func.count()).select_from(Claim).where(Claim.appointment_id == hold.id)) == 0
    intent = requests.get(f"{localstripe}/v1/payment_intents/{payment.intent_id}", timeout=5,
                          auth=("sk_test_waitless", "")).json()
    assert intent["status"] == "canceled"
    other = make.patient()
    taken = booking.book(None, other, clinic["doctor"], hold.start, appointment_type="ecg",
                         hospital_id=clinic["hospital"].id)
    db.session.commit()
    assert taken.status == "scheduled"


def test_a_payment_after_the_slot_went_to_someone_else_is_refunded(client, auth, clinic, make, localstripe,  # noqa: F811
                                                                    webhooks):  # noqa: F811
    book_paid(client, auth, clinic)
    payment = only_payment()
    pay(client, localstripe, payment)  # paid at Stripe, but the webhook is late ...
    body, signature = webhooks.next_event("payment_intent.succeeded", payment.intent_id)
    jobs.expire_payment_holds(now=utcnow() + timedelta(minutes=16))  # ... the hold ran out first
    start = db.session.get(Appointment, payment.appointment_id).start
    booking.book(None, make.patient(), clinic["doctor"], start, appointment_type="ecg",
                 hospital_id=clinic["hospital"].id)
    db.session.commit()

    assert deliver(client, body, signature).get_json()["outcome"] == "applied"
    payment = only_payment()
    assert payment.status == "refunded" and payment.refunded_amount == Decimal("120.00")
    mary = db.session.scalar(select(Patient).where(Patient.user_id == clinic["mary"].id))
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.patient_id == mary.id, Appointment.status.in_(core.ACTIVE))) == 0
    refunds = requests.get(f"{localstripe}/v1/refunds", params={"payment_intent": payment.intent_id}, timeout=5,
                           auth=("sk_test_waitless", "")).json()["data"]
    assert [r["amount"] for r in refunds] == [12000]
    assert "payment_late_refunded" in outbox_templates()


def test_a_late_payment_books_the_slot_when_it_is_still_free(client, auth, clinic, localstripe, webhooks):  # noqa: F811
    book_paid(client, auth, clinic)
    payment = only_payment()
    pay(client, localstripe, payment)
    body, signature = webhooks.next_event("payment_intent.succeeded", payment.intent_id)
    jobs.expire_payment_holds(now=utcnow() + timedelta(minutes=16))
    deliver(client, body, signature)
    payment = only_payment()
    assert payment.status == "paid"
    appointment = db.session.get(Appointment, payment.appointment_id)
    assert appointment.status == "scheduled" and appointment.patient_id == payment.patient_id


def paid_booking(client, auth, clinic, localstripe, webhooks, days: int) -> Payment:  # noqa: F811
    book_paid(client, auth, clinic, days=days)
    payment = only_payment()
    pay(client, localstripe, payment)
    deliver(client, *webhooks.next_event("payment_intent.succeeded", payment.intent_id))
    return only_payment()


def test_cancelling_before_the_cut_off_refunds_in_full(client, auth, clinic, localstripe, webhooks):  # noqa: F811
    payment = paid_booking(client, auth, clinic, localstripe, webhooks, days=3)
    response = client.post(f"/patient/appointments/{payment.appointment_id}/cancel", data={"reason": "better now"})
    assert response.status_code == 302
    payment = only_payment()
    assert (payment.status, payment.refunded_amount) == ("refunded", Decimal("120.00"))
    refunds = requests.get(f"{localstripe}/v1/refunds", params={"payment_intent": payment.intent_id}, timeout=5,
                           auth=("sk_test_waitless", "")).json()["data"]
    assert [r["amount"] for r in refunds] == [12000] and payment.refund_id == refunds[0]["id"]
    assert "payment_refunded" in outbox_templates()


def test_after_the_cut_off_no_refund_unless_staff_override(client, auth, clinic, localstripe, webhooks):  # noqa: F811
    clinic["hospital"].cancel_cutoff_hours = 24 * 5  # "in three days" is already past the cut-off
    db.session.commit()
    payment = paid_booking(client, auth, clinic, localstripe, webhooks, days=3)
    assert client.get(f"/patient/appointments/{payment.appointment_id}/cancel").status_code != 302
    auth.logout()
    auth.login("desk@example.org")
    response = client.post(f"/staff/appointments/{payment.appointment_id}/cancel", data={"reason": "doctor ill"})
    assert response.status_code == 302
    payment = only_payment()
    assert payment.status == "paid" and "no refund" in payment.note
    page = f"/staff/appointments/{payment.appointment_id}/payments"
    assert client.post(page, data={"refund-payment_id": payment.id, "refund-reason": "",
                                   "refund-submit": "1"}).status_code == 422  # a reason is required
    assert client.post(page, data={"refund-payment_id": payment.id, "refund-reason": "we cancelled",
                                   "refund-submit": "1"}).status_code == 302
    payment = only_payment()
    assert (payment.status, payment.note) == ("refunded", "we cancelled")


def test_the_desk_records_a_cash_payment(client, auth, clinic, make):
    mary = db.session.scalar(select(Patient).where(Patient.user_id == clinic["mary"].id))
    appointment = booking.book(None, mary, clinic["doctor"], core.to_utc(
        date.today() + timedelta(days=3), time(10), ZoneInfo(TZ)), appointment_type="new",
        hospital_id=clinic["hospital"].id)
    db.session.commit()
    page = f"/staff/appointments/{appointment.id}/payments"
    auth.login("desk@example.org")
    assert client.post(page, data={"pay-method": "cash", "pay-submit": "1"}).status_code == 302
    payment = only_payment()
    assert (payment.method, payment.status, payment.amount, payment.intent_id) == ("cash", "paid",
                                                                                   Decimal("80.00"), None)
    assert outbox_templates().count("payment_receipt") == 1
    assert client.post(page, data={"pay-method": "cash", "pay-submit": "1"}).status_code == 409  # paid already
    auth.logout()

    other = make.hospital(name="Spree Klinikum")
    make.user(Role.STAFF, other, email="elsewhere@example.org")
    auth.login("elsewhere@example.org")
    assert client.get(page).status_code == 404  # another hospital's appointment does not exist for them


def test_only_the_patient_sees_their_payment(client, auth, clinic, make, localstripe):  # noqa: F811
    book_paid(client, auth, clinic)
    payment = only_payment()
    auth.logout()
    make.user(Role.PATIENT, email="eve@example.org")
    auth.login("eve@example.org")
    for url in (f"/patient/payments/{payment.id}", f"/patient/payments/{payment.id}/status"):
        assert client.get(url).status_code == 404
    assert client.post(f"/patient/payments/{payment.id}/card", json={"card": "card_x"}).status_code == 404


def test_stripe_unreachable_holds_nothing_and_offers_the_desk(client, auth, clinic, stripe_app,  # noqa: F811
                                                              monkeypatch):
    monkeypatch.setitem(stripe_app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{free_port()}")  # nobody there
    response = book_paid(client, auth, clinic)
    assert response.status_code == 503
    assert b"Online payment is not available right now" in response.data and b'id="pay-at-desk"' in response.data
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    booked = book_paid(client, auth, clinic, pay_at_desk="1")
    assert booked.status_code == 302 and "/patient/appointments/" in booked.location


def test_optional_payment_of_a_booked_appointment(client, auth, clinic, localstripe, webhooks):  # noqa: F811
    payment_settings.save(None, clinic["hospital"], mode="optional", type_codes=[], hold_minutes=15,
                          desk_allowed=True)
    db.session.commit()
    booked = book_paid(client, auth, clinic, appointment_type="new")  # booked at once: nothing required
    assert booked.status_code == 302
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.status == "scheduled"
    assert b'id="pay-online"' in client.get(f"/patient/appointments/{appointment.id}").data
    started = client.post(f"/patient/appointments/{appointment.id}/pay")
    payment = only_payment()
    assert started.location.endswith(f"/patient/payments/{payment.id}") and payment.amount == Decimal("80.00")
    pay(client, localstripe, payment)
    deliver(client, *webhooks.next_event("payment_intent.succeeded", payment.intent_id))
    assert only_payment().status == "paid"
    page = client.get(f"/patient/appointments/{appointment.id}").data
    assert b'id="appointment-paid"' in page and b'id="pay-online"' not in page


def test_a_payment_for_a_hold_the_patient_gave_up_is_refunded(client, auth, clinic, localstripe, webhooks):  # noqa: F811
    book_paid(client, auth, clinic)
    payment = only_payment()
    pay(client, localstripe, payment)
    body, signature = webhooks.next_event("payment_intent.succeeded", payment.intent_id)
    hold = db.session.get(Appointment, payment.appointment_id)
    booking.cancel(None, hold, "changed my mind")  # the hold goes back on sale before the webhook comes
    db.session.commit()
    deliver(client, body, signature)
    payment = only_payment()
    assert payment.status == "refunded" and "cancelled" in payment.note
    assert "payment_late_refunded" in outbox_templates()


def test_the_admin_sets_the_payment_mode_of_their_hospital_only(client, auth, clinic, make):
    admin = make.user(Role.ADMIN, clinic["hospital"], email="admin@example.org")
    other = make.hospital(name="Spree Klinikum")
    auth.login(admin.email)
    url = f"/admin/hospitals/{clinic['hospital'].id}/payments"
    page = client.get(url)
    assert page.status_code == 200 and b'value="ecg"' in page.data
    refused = client.post(url, data={"mode": "sometimes", "hold_minutes": "15"})
    assert refused.status_code == 422
    saved = client.post(url, data={"mode": "required", "paid_types": ["new", "ecg"], "hold_minutes": "20",
                                   "desk_allowed": ""})
    assert saved.status_code == 302
    row = payment_settings.settings_of(clinic["hospital"].id)
    db.session.refresh(row)
    assert (row.mode, row.type_codes(), row.hold_minutes, row.desk_allowed) == ("required", {"new", "ecg"}, 20,
                                                                                False)
    assert client.get(f"/admin/hospitals/{other.id}/payments").status_code == 404


def test_racing_deliveries_of_one_event_apply_it_once(app, client, auth, clinic, localstripe, webhooks):  # noqa: F811
    book_paid(client, auth, clinic)
    payment = only_payment()
    pay(client, localstripe, payment)
    body, signature = webhooks.next_event("payment_intent.succeeded", payment.intent_id)
    db.session.commit()

    def deliver_alone(_i):
        response = app.test_client().post("/payments/stripe/webhook", data=body,
                                          headers={"Stripe-Signature": signature})
        # the loser is told "duplicate" by the unique event id, or "busy" (503) by a locked database: Stripe retries
        return response.get_json()["outcome"] if response.status_code == 200 else response.status_code

    results, errors = race(app, deliver_alone, 3)
    assert errors == []
    assert results.count("applied") == 1 and set(results) <= {"applied", "duplicate", 503}, results
    assert deliver(client, body, signature).get_json()["outcome"] == "duplicate"
    assert only_payment().status == "paid"
    assert outbox_templates().count("payment_receipt") == 1
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1


def test_the_api_and_fhir_cannot_skip_a_payment_the_hospital_requires(client, runner, clinic):
    """The booking page sends a pay-first type through the payment hold; the REST API and FHIR $book have no payment
    step, so a patient's own booking of that type is refused there (409 payment_required) and nothing is booked."""
    from tests.integration.test_fhir import parameters, refusal

    payment_settings.save(None, clinic["hospital"], mode="required", type_codes=["ecg"], hold_minutes=15,
                          desk_allowed=False)
    db.session.commit()
    token = runner.invoke(args=["users", "token", "--email", "mary@example.org"]).output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    doctor = clinic["doctor"]
    res = client.post("/api/v1/appointments", headers=headers,
                      json={"doctor_id": doctor.id, "start": start_at(3), "appointment_type": "ecg"})
    assert res.status_code == 409 and res.get_json()["error"] == "payment_required", res.get_data(as_text=True)

    day = start_at(4)[:10]
    found = client.post("/fhir/Appointment/$find", headers=headers, json=parameters(
        start=f"{day}T00:00:00+00:00", end=f"{day}T23:59:00+00:00", specialty="CAR", visit_type="ecg")).get_json()
    proposal = found["entry"][0]["resource"]
    refusal(client.post("/fhir/Appointment/$book", json=parameters(appointment=proposal), headers=headers),
            409, "payment_required")
    assert db.session.scalar(select(func.count()).select_from(Appointment)
                             .where(Appointment.patient_id.is_not(None))) == 0

    # a type paid at the hospital books as before
    res = client.post("/api/v1/appointments", headers=headers,
                      json={"doctor_id": doctor.id, "start": start_at(3), "appointment_type": "new"})
    assert res.status_code == 201, res.get_data(as_text=True)
