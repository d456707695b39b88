"""Phone numbers for the demo that pass the portal's own check (`app.phones.e164`, phonenumbers' `is_valid_number`).

Ofcom's drama ranges (+44 7700 900xxx, +44 20 7946 0xxx) are reserved for fiction and phonenumbers calls the mobile
one invalid: every demo SMS to such a number went to the dead letters as "malformed phone number" (issue #13, part
2). These draw from ranges phonenumbers accepts for GB and DE instead; tests/integration/test_demo_phones.py checks
every number a seed writes (docs/cli.md, `demo seed`).
"""
from __future__ import annotations

import random


def mobile(rng: random.Random, country: str = "GB") -> str:
    """A mobile number in E.164: +44 7400 xxxxxx in GB, +49 151 xxxxxxxx in DE."""
    if country == "DE":
        return f"+49151{rng.randint(10000000, 99999999)}"
    return f"+447400{rng.randint(100000, 999999)}"


def landline(rng: random.Random, country: str = "GB") -> str:
    """A switchboard number in E.164: London (+44 20 7xxx xxxx) in GB, Berlin (+49 30 xxxxxxxx) in DE."""
    if country == "DE":
        return f"+4930{rng.randint(10000000, 99999999)}"
    return f"+44207{rng.randint(1000000, 9999999)}"
