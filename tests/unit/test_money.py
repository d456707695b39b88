"""Money (app/money.py): which amounts are fees, which codes are currencies, and how each language writes them."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import money

CENTS = st.integers(min_value=0, max_value=9_999_999_999)  # what Numeric(10, 2) holds, in cents


@given(CENTS)
def test_every_amount_in_whole_cents_is_a_fee(cents):
    assert money.fee_problem(Decimal(cents).scaleb(-2)) is None


@given(CENTS, st.integers(min_value=1, max_value=9))
def test_a_fraction_of_a_cent_is_refused(cents, mills):
    assert money.fee_problem(Decimal(cents).scaleb(-2) + Decimal(mills).scaleb(-3)) == money.TOO_PRECISE


@given(st.integers(min_value=1, max_value=10**12))
def test_below_zero_is_refused(cents):
    assert money.fee_problem(-Decimal(cents).scaleb(-2)) == money.NEGATIVE


@pytest.mark.parametrize("value, problem", [
    ("80", None), ("80.50", None), ("80.500", None), ("0", None),  # trailing zeros are still whole cents
    ("100000000", money.TOO_LARGE), ("NaN", money.NOT_A_NUMBER), ("Infinity", money.NOT_A_NUMBER),
    ("eighty", money.NOT_A_NUMBER),
])
def test_fee_edges(value, problem):
    assert money.fee_problem(value) == problem


@pytest.mark.parametrize("code, known", [("GBP", True), ("EUR", True), ("CHF", True), ("XYZ", False),
                                         ("gbp", False), ("", False), (None, False), ("EURO", False)])
def test_known_currencies_are_babels(code, known):
    assert money.known_currency(code) is known


def test_a_country_pays_in_its_own_money():
    assert [money.currency_of_country(c) for c in ("GB", "DE", "gb", "CH")] == ["GBP", "EUR", "GBP", "CHF"]
    assert money.currency_of_country(None) == money.currency_of_country("ZZ") == money.FALLBACK_CURRENCY


@pytest.mark.parametrize("amount, currency, locale, written", [
    (Decimal("80"), "GBP", "en", "£80.00"),
    (Decimal("80"), "EUR", "de", "80,00\xa0€"),
    (Decimal("1234.5"), "EUR", "de", "1.234,50\xa0€"),
    (Decimal("120"), "EUR", "en", "€120.00"),
    (Decimal("80"), None, "en", "80.00"),
    (None, "GBP", "en", ""),
])
def test_each_language_writes_money_its_own_way(amount, currency, locale, written):
    assert money.format_money(amount, currency, locale) == written
