"""Federation: other systems' slots shown beside ours (docs/federation.md).

A source is another hospital system's SMART Scheduling Links manifest or FHIR R4 server. Its health (last success,
last error, counts, circuit state) lives on its row so that every process and the admin page read the same state.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

KINDS = ("smart-links", "fhir")


class FederationSource(db.Model):
    __tablename__ = "federation_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    # a bearer token of the account this region books with at the source ($hold/$book); None: deep links only
    token: Mapped[str | None] = mapped_column(String(200))
    max_age_minutes: Mapped[int] = mapped_column(Integer, default=60)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # conditional requests: the validator of the last full answer
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    # health
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    skipped_resources: Mapped[int] = mapped_column(Integer, default=0)
    circuit_open_until: Mapped[datetime | None]

    slots: Mapped[list[ExternalSlot]] = relationship(back_populates="source", cascade="all, delete-orphan",
                                                      passive_deletes=True)

    @property
    def error_rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0

    def circuit_open(self, now: datetime) -> bool:
        return self.circuit_open_until is not None and self.circuit_open_until > now


class ExternalSlot(db.Model):
    """A free slot as the source last published it; `fetched_at` is when the source last confirmed it."""

    __tablename__ = "external_slots"
    __table_args__ = (UniqueConstraint("source_id", "remote_id", name="uq_external_slots_remote"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("federation_sources.id", ondelete="CASCADE"), index=True)
    remote_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(index=True)
    end: Mapped[datetime]
    specialty_code: Mapped[str | None] = mapped_column(String(64), index=True)
    specialty_name: Mapped[str | None] = mapped_column(String(120))
    visit_type: Mapped[str | None] = mapped_column(String(64))
    practitioner: Mapped[str | None] = mapped_column(String(200))
    practitioner_ref: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(200))
    location_ref: Mapped[str | None] = mapped_column(String(100))
    booking_link: Mapped[str | None] = mapped_column(String(1000))
    fetched_at: Mapped[datetime]
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)

    source: Mapped[FederationSource] = relationship(back_populates="slots")


class ExternalBooking(db.Model):
    """A booking the source confirmed for one of our patients (kept only once the source said yes)."""

    __tablename__ = "external_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("federation_sources.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    remote_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime]
    end: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(200))
    practitioner: Mapped[str | None] = mapped_column(String(200))
    specialty_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]

    source: Mapped[FederationSource] = relationship()
