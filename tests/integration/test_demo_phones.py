"""Demo data passes the portal's own validation (issue #13, part 2): every phone number a seed writes is one
phonenumbers accepts (`is_valid_number`, the check `app.phones.e164` and SMS delivery make), so no demo SMS ends
as a dead letter "malformed phone number"."""
from __future__ import annotations

import random

import phonenumbers
import pytest
from sqlalchemy import select

from app.demo import seed_region, seed_small
from app.demo.phones import landline, mobile
from app.extensions import db
from app.models import Hospital, OutboxMessage, Patient
from app.phones import e164


def _valid(number: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(number, None)) and e164(number) == number


def _stored_numbers() -> list[str]:
    numbers = [p for row in db.session.execute(select(Patient.phone, Patient.emergency_contact_phone))
               for p in row if p]
    return numbers + [h for h in db.session.scalars(select(Hospital.phone)) if h]


@pytest.mark.parametrize("country", ["GB", "DE"])
def test_the_demo_ranges_are_valid_for_their_country(country):
    rng = random.Random(13)
    for draw in (mobile, landline):
        for _ in range(2000):
            number = draw(rng, country)
            parsed = phonenumbers.parse(number, None)
            assert _valid(number) and phonenumbers.region_code_for_number(parsed) == country, number
    assert phonenumbers.number_type(phonenumbers.parse(mobile(rng, country), None)) == \
        phonenumbers.PhoneNumberType.MOBILE


def test_every_small_demo_phone_number_is_valid(app):
    seed_small(1)
    numbers = _stored_numbers()
    assert len(numbers) >= 30
    invalid = [n for n in numbers if not _valid(n)]
    assert invalid == []


def test_every_region_demo_phone_number_is_valid(app):
    seed_region(5, hospitals=3, doctors=12, days=7, patients=50, echo=None)
    numbers = _stored_numbers()
    assert len(numbers) >= 53
    assert [n for n in numbers if not _valid(n)] == []


def test_demo_seed_leaves_no_sms_dead_letters(app, runner, mail_folder):
    res = runner.invoke(args=["demo", "seed", "--scale", "small", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert "/dev/sms" in res.output
    db.session.expire_all()
    dead = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")).all()
    assert [(r.channel, r.recipient, r.last_error) for r in dead] == []
    texts = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert texts and all(r.status == "sent" and r.last_error is None for r in texts)
