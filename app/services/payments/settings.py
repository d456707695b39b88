"""Each hospital's payment settings (docs/payments.md, "Settings"): off, optional or required for chosen types."""
from __future__ import annotations

from decimal import Decimal

from app import scheduling as core
from app.extensions import db
from app.models import AppointmentType, Doctor, Hospital, PaymentSettings
from app.services import audit
from app.services.payments.gateway import configured

MODES = ("off", "optional", "required")


def settings_of(hospital_id: int) -> PaymentSettings:
    """The hospital's settings; a hospital never set up is off (an unsaved row with the defaults)."""
    row = db.session.get(PaymentSettings, hospital_id)
    return row or PaymentSettings(hospital_id=hospital_id, mode="off", paid_types="", hold_minutes=15,
                                  desk_allowed=True)


def online(hospital_id: int) -> bool:
    """May patients of this hospital pay online at all?"""
    return configured() and settings_of(hospital_id).mode != "off"


def required_at_booking(hospital_id: int, type_code: str | None, fee: Decimal | None) -> bool:
    """Must this booking be paid before it is confirmed? Only a type the hospital chose, with a fee to pay."""
    row = settings_of(hospital_id)
    return (configured() and row.mode == "required" and bool(fee) and fee > 0
            and (type_code or "") in row.type_codes())


class PaymentRequired(core.SchedulingError):
    """A patient booked, without the online payment, a type the hospital wants paid first and not at the desk."""

    code, http_status = "payment_required", 409


def check_unpaid_booking(hospital_id: int, type_code: str | None, doctor: Doctor) -> None:
    """Refuse a patient's own booking that skips the online payment the hospital requires (docs/payments.md).

    The patient's booking page sends pay-first types through the payment hold; the REST API and FHIR $book have no
    payment step, so they call this first: the same rule whatever the entry. Where the hospital takes payment at the
    desk, booking now and paying there is allowed, as on the page."""
    if not configured():
        return  # no payment service: nothing can be required (and a booking reads nothing for it)
    row = settings_of(hospital_id)
    if row.mode != "required" or row.desk_allowed or (type_code or "") not in row.type_codes():
        return
    fee = db.session.scalar(db.select(AppointmentType.fee).where(
        AppointmentType.hospital_id == hospital_id, AppointmentType.code == (type_code or "")))
    fee = fee if fee is not None else doctor.fee
    if fee and fee > 0:  # required_at_booking's rule, with the settings read once
        raise PaymentRequired("This appointment type must be paid online when it is booked: please book it on the "
                              "portal's booking page.", "appointment_type")


def save(actor_id: int | None, hospital: Hospital, *, mode: str, type_codes: list[str], hold_minutes: int,
         desk_allowed: bool) -> PaymentSettings:
    if mode not in MODES:
        raise ValueError(f"unknown payment mode {mode!r}")
    row = db.session.get(PaymentSettings, hospital.id)
    if row is None:
        row = PaymentSettings(hospital_id=hospital.id)
        db.session.add(row)
    before = audit.snapshot(row, ("mode", "paid_types", "hold_minutes", "desk_allowed"))
    row.mode, row.paid_types = mode, ",".join(sorted(set(type_codes)))
    row.hold_minutes, row.desk_allowed = hold_minutes, desk_allowed
    db.session.flush()
    audit.record(actor_id, "payments.settings", "hospital", hospital.id, hospital_id=hospital.id, before=before,
                 after=audit.snapshot(row, ("mode", "paid_types", "hold_minutes", "desk_allowed")))
    return row
