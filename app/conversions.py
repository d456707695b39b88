"""How PyMySQL turns the server's text into Python values, with dates parsed by the standard library's C parser.

PyMySQL parses every DATETIME, TIMESTAMP and DATE with a regular expression and int() calls, about 3.6 us a value on
this project's machine; datetime.fromisoformat takes 0.2 us. A search renders 100 index rows of three datetimes
each, and a booking reads a doctor's day of bookings twice: the parsing was a tenth of a search's time
(docs/benchmarks.md, "Built once"). What fromisoformat refuses (MySQL's zero dates) goes to PyMySQL's own
converter, which keeps its behaviour for them.
"""
from __future__ import annotations

from datetime import date, datetime

from pymysql.constants import FIELD_TYPE
from pymysql.converters import conversions, convert_date, convert_datetime


def _datetime(value: str):
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return convert_datetime(value)


def _date(value: str):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return convert_date(value)


def mysql_conversions() -> dict:
    """PyMySQL's conversions (its `conv` argument) with the faster date parsers."""
    return {**conversions, FIELD_TYPE.DATETIME: _datetime, FIELD_TYPE.TIMESTAMP: _datetime,
            FIELD_TYPE.DATE: _date, FIELD_TYPE.NEWDATE: _date}


def with_conversions(options: dict) -> dict:
    """Engine options with the conversions in connect_args (what the caller set there kept)."""
    return {**options, "connect_args": {"conv": mysql_conversions(), **(options.get("connect_args") or {})}}
