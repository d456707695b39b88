"""Syncing a source (docs/federation.md, "Sync"): fetch, then apply.

`fetch` talks to the source and touches no table, so the entry point can run it outside any transaction; `apply`
and `failed` write the outcome (slots upserted or removed, the source's health and circuit breaker). Staleness:
a slot is shown while the source confirmed it within its budget (`max_age_minutes`); when a sync fails, the slots
stay (marked stale, with their age) until the budget runs out, and are then removed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import ExternalSlot, FederationSource
from app.services.federation import resources
from app.services.federation.client import SourceError, check_url, request, same_origin

MAX_PAGES = 50  # pages of one FHIR search followed at most
PAGE = 200


@dataclass
class Fetched:
    """A sync's answer: the slot rows, or `unchanged` (a 304 to a conditional request)."""

    rows: list[dict] = field(default_factory=list)
    fetched: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)
    unchanged: bool = False
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class SourceSpec:
    """What fetching needs, read before the network is touched (no ORM row crosses it)."""

    id: int
    kind: str
    url: str
    token: str | None
    etag: str | None
    last_modified: str | None


def due(now: datetime) -> tuple[list[SourceSpec], list[int]]:
    """(sources to fetch now, sources skipped because their circuit is open). Paused sources are neither."""
    wanted, open_ = [], []
    for source in db.session.scalars(select(FederationSource).where(FederationSource.paused.is_(False))
                                     .order_by(FederationSource.id)):
        if source.circuit_open(now):
            open_.append(source.id)
        else:
            wanted.append(SourceSpec(source.id, source.kind, source.url, source.token, source.etag,
                                     source.last_modified))
    return wanted, open_


def _auth(spec: SourceSpec) -> dict:
    return {"Authorization": f"Bearer {spec.token}"} if spec.token else {}


def fetch(spec: SourceSpec, now: datetime) -> Fetched:
    """Read the source's free slots; SourceError when the source fails as a whole."""
    parsed = resources.Parsed()
    validators: dict = {}
    if spec.kind == "smart-links":
        if _smart_links(spec, parsed, validators, now):
            return Fetched(unchanged=True, etag=spec.etag, last_modified=spec.last_modified)
    else:
        _fhir(spec, parsed, now)
    rows = resources.rows(parsed)
    limit = current_app.config["FEDERATION_MAX_SLOTS"]
    if len(rows) > limit:
        raise SourceError(f"The source lists {len(rows)} slots, more than the {limit} kept per source: refused.")
    return Fetched(rows, parsed.fetched, parsed.skipped, parsed.reasons, etag=validators.get("etag"),
                  last_modified=validators.get("last_modified"))


def _smart_links(spec: SourceSpec, parsed: resources.Parsed, validators: dict, now: datetime) -> bool:
    """Read a manifest and its files into `parsed`; True when the manifest is unchanged since the last sync."""
    headers = _auth(spec)
    if spec.etag:
        headers["If-None-Match"] = spec.etag
    if spec.last_modified:
        headers["If-Modified-Since"] = spec.last_modified
    answer = request("GET", spec.url, headers=headers)
    if answer.status == 304:
        return True
    if answer.status != 200:
        raise SourceError(f"The manifest answered {answer.status}.", answer.status)
    validators.update(etag=answer.headers.get("ETag"), last_modified=answer.headers.get("Last-Modified"))
    manifest = answer.json()
    outputs = manifest.get("output") if isinstance(manifest, dict) else None
    if not isinstance(outputs, list):
        raise SourceError("Not a SMART Scheduling Links manifest (no output list).")
    files = []
    for item in outputs:
        if not isinstance(item, dict) or item.get("type") not in resources.KINDS \
                or not isinstance(item.get("url"), str):
            parsed.skip("A manifest entry without a known type and url.")
        elif not same_origin(spec.url, check_url(item["url"])):
            # a manifest may not make us fetch from someone else's host (docs/federation.md, "Faults")
            parsed.skip(f"A {item['type']} file on another host: refused.")
        else:
            files.append((item["type"], item["url"]))
    # places and schedules before slots, whatever order the manifest lists them in
    for kind, url in sorted(files, key=lambda f: resources.KINDS.index(f[0])):
        answer = request("GET", url, headers=_auth(spec))
        if answer.status != 200:
            raise SourceError(f"The {kind} file answered {answer.status}.", answer.status)
        for line in answer.body.splitlines():
            if not line.strip():
                continue
            try:
                resource = json.loads(line)
            except (ValueError, RecursionError):
                parsed.fetched += 1
                parsed.skip(f"A line of the {kind} file that is not JSON.")
                continue
            resources.add(parsed, resource, kind, now)
        _bounded(parsed)
    return False


def _bounded(parsed: resources.Parsed) -> None:
    """Stop reading a source that keeps sending: past twice the slots kept per source (places and schedules
    included), the rest of its pages or files would only be refused whole."""
    limit = 2 * current_app.config["FEDERATION_MAX_SLOTS"]
    if parsed.fetched > limit:
        raise SourceError(f"The source sent more than {limit} resources: refused.")


def _fhir(spec: SourceSpec, parsed: resources.Parsed, now: datetime) -> None:
    """A FHIR server: its Locations and Schedules, then the free Slots of each specialty its schedules name."""
    base = spec.url.rstrip("/")
    _search(spec, f"{base}/Location?_count={PAGE}", "Location", parsed, now)
    _search(spec, f"{base}/Schedule?_count={PAGE}", "Schedule", parsed, now)
    codes = sorted({s["specialty_code"] for s in parsed.schedules.values() if s["specialty_code"]})
    for code in codes:
        query = urlencode({"specialty": code, "status": "free", "start": f"ge{now.date().isoformat()}",
                           "_count": PAGE})
        _search(spec, f"{base}/Slot?{query}", "Slot", parsed, now)


def _search(spec: SourceSpec, url: str, kind: str, parsed: resources.Parsed, now: datetime) -> None:
    """A search and its `next` pages (on the source's own host only)."""
    for _ in range(MAX_PAGES):
        answer = request("GET", url, headers=_auth(spec))
        if answer.status != 200:
            raise SourceError(f"The {kind} search answered {answer.status}.", answer.status)
        bundle = answer.json()
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise SourceError(f"The {kind} search did not answer a Bundle.")
        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise SourceError(f"The {kind} search's Bundle has no entry list.")
        for entry in entries:
            resources.add(parsed, entry.get("resource") if isinstance(entry, dict) else entry, kind, now)
        _bounded(parsed)
        links = bundle.get("link") if isinstance(bundle.get("link"), list) else []
        url = next((link.get("url") for link in links if isinstance(link, dict) and link.get("relation") == "next"
                    and isinstance(link.get("url"), str)), None)
        if url is None:
            return
        if not same_origin(spec.url, check_url(url)):
            raise SourceError("A next page on another host: refused.")


# --- writing the outcome ---

@dataclass
class Outcome:
    upserted: int = 0
    removed: int = 0
    stale: int = 0
    failed: bool = False


def apply(source_id: int, fetched: Fetched, now: datetime) -> Outcome:
    """The source answered: its slots become what it listed (hidden ones stay hidden), its health records a
    success and its circuit closes."""
    source = db.session.get(FederationSource, source_id)
    outcome = Outcome()
    if fetched.unchanged:
        db.session.execute(update(ExternalSlot).where(ExternalSlot.source_id == source_id)
                           .values(fetched_at=now))
    else:
        existing = {s.remote_id: s for s in db.session.scalars(
            select(ExternalSlot).where(ExternalSlot.source_id == source_id))}
        listed = set()
        for row in fetched.rows:
            if row["remote_id"] in listed:
                continue  # a slot listed twice counts once
            listed.add(row["remote_id"])
            slot = existing.get(row["remote_id"])
            if slot is None:
                slot = ExternalSlot(source_id=source_id, remote_id=row["remote_id"], hidden=False)
                db.session.add(slot)
            for name in ("start", "end", "specialty_code", "specialty_name", "visit_type", "practitioner",
                         "practitioner_ref", "location", "location_ref", "booking_link"):
                setattr(slot, name, row.get(name))
            slot.fetched_at = now
            outcome.upserted += 1
        for remote_id, slot in existing.items():
            if remote_id not in listed:
                db.session.delete(slot)
                outcome.removed += 1
        source.etag, source.last_modified = fetched.etag, fetched.last_modified
    outcome.removed += _drop_past(source_id, now)
    source.last_attempt_at = source.last_success_at = now
    source.attempts += 1
    source.consecutive_failures = 0
    source.circuit_open_until = None
    source.skipped_resources = fetched.skipped
    if fetched.reasons:  # a partly bad answer: used, and its faults named on the health page
        source.last_error, source.last_error_at = "; ".join(fetched.reasons)[:2000], now
    return outcome


def failed(source_id: int, error: SourceError | None, now: datetime) -> Outcome:
    """The source failed (or its circuit is open, `error` None): its slots stay, stale, until their budget runs
    out; enough failures in a row open the circuit for a cool-down."""
    source = db.session.get(FederationSource, source_id)
    settings = current_app.config
    if error is not None:
        source.last_attempt_at = source.last_error_at = now
        source.last_error = error.message[:2000]
        source.attempts += 1
        source.failures += 1
        source.consecutive_failures += 1
        if source.consecutive_failures >= settings["FEDERATION_BREAKER_FAILURES"]:
            source.circuit_open_until = now + timedelta(minutes=settings["FEDERATION_BREAKER_MINUTES"])
    outcome = Outcome(failed=True)
    outcome.removed = _drop_past(source_id, now) + db.session.execute(
        delete(ExternalSlot).where(ExternalSlot.source_id == source_id,
                                   ExternalSlot.fetched_at < now - timedelta(minutes=source.max_age_minutes))
    ).rowcount
    outcome.stale = db.session.scalar(select(db.func.count()).select_from(ExternalSlot)
                                      .where(ExternalSlot.source_id == source_id))
    return outcome


def _drop_past(source_id: int, now: datetime) -> int:
    return db.session.execute(delete(ExternalSlot).where(ExternalSlot.source_id == source_id,
                                                         ExternalSlot.start < now)).rowcount
