"""Reading FHIR search and operation parameters: tokens, references, dates with prefixes, paging.

A parameter this server does not know is refused (FhirError, 400) rather than ignored: a client that asked for a
filter must not receive unfiltered results believing them filtered (docs/fhir.md, "Search").
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.models import Specialty
from app.services.fhir.resources import SPECIALTY_SYSTEM, VISIT_TYPE_SYSTEM

UTC = ZoneInfo("UTC")
DEFAULT_COUNT, MAX_COUNT = 50, 500
PAGING = {"_count", "_offset"}
MAX_ID = 2**63 - 1


class FhirError(ValueError):
    """A request the FHIR endpoints refuse: `status` is the HTTP status, `code` the REST API's error code."""

    def __init__(self, message: str, status: int = 400, code: str = "invalid"):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


def check_names(args, allowed: set[str]) -> None:
    unknown = sorted(set(args.keys()) - allowed - PAGING)
    if unknown:
        raise FhirError(f"Unknown search parameter: {unknown[0]}. This server supports: "
                        f"{', '.join(sorted(allowed | PAGING))}.")


def paging(args) -> tuple[int, int]:
    """(_count, _offset): the page size (1..500, default 50) and how many results to skip."""
    count = number(args.get("_count"), "_count", DEFAULT_COUNT)
    offset = number(args.get("_offset"), "_offset", 0, lowest=0)
    if not 1 <= count <= MAX_COUNT:
        raise FhirError(f"_count must be between 1 and {MAX_COUNT}.")
    return count, offset


def number(value: str | None, name: str, default: int, *, lowest: int = 1) -> int:
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or not lowest <= int(value) <= MAX_ID:
        raise FhirError(f"{name} must be a whole number.")
    return int(value)


def token(value: str) -> tuple[str | None, str]:
    """A token "system|code" or "code" as (system or None, code)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system or None, code
    return None, value


def reference_id(value: str, resource_type: str) -> str:
    """The id of a reference: "Type/id", an absolute URL ending in "Type/id", or a bare "id"; a reference to
    another type is refused."""
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2:
        if parts[-2] != resource_type:
            raise FhirError(f"Expected a reference to a {resource_type}, not {value!r}.")
        return parts[-1]
    return value


def int_id(value: str, resource_type: str) -> int:
    """The row id of a read's id or an operation's reference: one that cannot be ours is no such record (404)."""
    ident = reference_id(value, resource_type)
    if not (ident.isascii() and ident.isdigit()) or not 1 <= int(ident) <= MAX_ID:
        raise FhirError(f"No such {resource_type}: {value}", 404, "not_found")
    return int(ident)


def filter_id(value: str, resource_type: str) -> int:
    """The row id a search parameter names; an unreadable one is a bad request (400), not a missing record."""
    ident = reference_id(value, resource_type)
    if not (ident.isascii() and ident.isdigit()) or not 1 <= int(ident) <= MAX_ID:
        raise FhirError(f"{value!r} is not a {resource_type} id or reference.")
    return int(ident)


def specialty_id(value: str) -> int:
    """A specialty given as a token of the local system (its code), by its name, or by its id."""
    system, code = token(value)
    if system not in (None, SPECIALTY_SYSTEM):
        raise FhirError(f"Unknown specialty system: {system}")
    found = db.session.scalar(select(Specialty.id).where(Specialty.active, func.lower(Specialty.code) == code.lower()))
    if found is None:
        found = db.session.scalar(select(Specialty.id).where(Specialty.active,
                                                             func.lower(Specialty.name) == code.lower()))
    if found is None and code.isascii() and code.isdigit() and int(code) <= MAX_ID:
        found = db.session.scalar(select(Specialty.id).where(Specialty.active, Specialty.id == int(code)))
    if found is None:
        raise FhirError(f"Unknown specialty: {value}")
    return found


def visit_type(value: str) -> str:
    system, code = token(value)
    if system not in (None, VISIT_TYPE_SYSTEM) or not code or len(code) > 40:
        raise FhirError(f"Unknown visit type: {value}")
    return code


PREFIXES = ("ge", "gt", "le", "lt", "eq")


def instant(value: str, name: str, *, upper: bool = False) -> datetime:
    """A FHIR date or dateTime as naive UTC; a bare date is its UTC midnight (the next one for an upper bound)."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1) if upper else day, time.min)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FhirError(f"{name} must be a FHIR date or dateTime, e.g. 2026-03-02T09:00:00+01:00.") from None
    if parsed.tzinfo is None:
        raise FhirError(f"{name} needs a time zone offset when it has a time.")
    if not 1900 <= parsed.year <= 2999:
        raise FhirError(f"{name} is out of range.")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def date_range(values: list[str], name: str) -> tuple[datetime | None, datetime | None]:
    """[lower, upper) in naive UTC from date parameters with prefixes (ge, gt, le, lt, eq)."""
    lower = upper = None
    for raw in values:
        prefix, value = (raw[:2], raw[2:]) if raw[:2] in PREFIXES else ("eq", raw)
        if prefix in ("ge", "gt", "eq"):
            at = instant(value, name, upper=prefix == "gt" and len(value) == 10)
            if prefix == "gt" and len(value) != 10:
                at += timedelta(microseconds=1)
            lower = at if lower is None else max(lower, at)
        if prefix in ("lt", "le", "eq"):
            at = instant(value, name, upper=prefix in ("le", "eq"))
            if prefix == "le" and len(value) != 10:
                at += timedelta(microseconds=1)
            upper = at if upper is None else min(upper, at)
    return lower, upper
