"""Each hospital's payment settings (docs/payments.md, "Settings"): off, optional or required for chosen types."""
from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from app.models import Hospital, PaymentSettings
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
