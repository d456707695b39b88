"""Money: fees are Decimal with at most two places, currencies ISO 4217 codes that Babel knows (docs/api.md, "Fees").

A leaf module every layer may use (docs/architecture.md, "Layers"): it imports nothing of the application. It
answers with problem codes, not sentences, so each caller words the refusal in its own (translated) terms.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_territory_currencies, is_currency

MAX_FEE = Decimal("99999999.99")  # what a Numeric(10, 2) column holds
FALLBACK_CURRENCY = "EUR"  # a country Babel has no current currency for

# problem codes of fee_problem
NEGATIVE, TOO_PRECISE, TOO_LARGE, NOT_A_NUMBER = "negative", "too_precise", "too_large", "not_a_number"


def fee_problem(value) -> str | None:
    """Why `value` is no fee, or None: not negative, whole cents, and small enough for the column."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return NOT_A_NUMBER
    if not amount.is_finite():
        return NOT_A_NUMBER
    if amount < 0:
        return NEGATIVE
    if amount != amount.quantize(Decimal("0.01")):
        return TOO_PRECISE
    if amount > MAX_FEE:
        return TOO_LARGE
    return None


def known_currency(code: str | None) -> bool:
    """An ISO 4217 code in Babel's list, written as the standard writes it (upper case)."""
    return bool(code) and code == code.upper() and is_currency(code)


def currency_of_country(country: str | None) -> str:
    """The currency in use in an ISO 3166 country today (GB: GBP, DE: EUR)."""
    found = get_territory_currencies(country.upper()) if country else []
    return found[0] if found else FALLBACK_CURRENCY


def format_money(amount: Decimal | None, currency: str | None, locale: str) -> str:
    """"£80.00" in English, "80,00 €" in German; a plain number when the currency is not known."""
    if amount is None:
        return ""
    if not currency:
        return f"{amount:.2f}"
    return format_currency(amount, currency, locale=locale)
